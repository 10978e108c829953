using SevShim.Errors;
using SevShim.Sandbox;

namespace SevShim.Tests.Pod;

public sealed class PodSizingTests
{
    private static Dictionary<string, string> Annotations(string period = "", string quota = "", string shares = "", string memory = "")
    {
        var a = new Dictionary<string, string>();
        if (period.Length > 0) { a[PodSizing.CpuPeriod] = period; }
        if (quota.Length > 0) { a[PodSizing.CpuQuota] = quota; }
        if (shares.Length > 0) { a[PodSizing.CpuShares] = shares; }
        if (memory.Length > 0) { a[PodSizing.Memory] = memory; }
        return a;
    }

    [Fact]
    public void No_annotations_keep_the_base()
    {
        Assert.Equal((1, 512), PodSizing.Size(Annotations(), 1, 512, 8));
    }

    [Theory]
    [InlineData("100000", "150000", "", "268435456", 3, 768)]   // 1.5 CPUs -> 2, 256 MiB
    [InlineData("100000", "-1", "2048", "0", 3, 512)]           // CPU manager static: shares
    [InlineData("100000", "0", "2", "1", 1, 513)]               // the minimum shares are no CPU; 1 byte -> 1 MiB
    [InlineData("100000", "3200000", "", "", 8, 512)]           // 32 CPUs capped at the host's 8
    public void Limits_add_to_the_base(string period, string quota, string shares, string memory, int vcpus, int memoryMib)
    {
        Assert.Equal((vcpus, memoryMib), PodSizing.Size(Annotations(period, quota, shares, memory), 1, 512, 8));
    }

    [Fact]
    public void A_malformed_annotation_is_refused_naming_it()
    {
        var e = Assert.Throws<ShimException>(() => PodSizing.Size(Annotations(memory: "lots"), 1, 512, 8));

        Assert.Equal(ShimErrorKind.InvalidArgument, e.Kind);
        Assert.Contains(PodSizing.Memory, e.Message, StringComparison.Ordinal);
    }
}
