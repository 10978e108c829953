using SevShim.Errors;
using SevShim.Protos.Containerd.TaskV2;
using SevShim.Tasks;
using Ttrpc;

namespace SevShim.ComponentTests;

/// <summary>An armed failpoint (SEVSHIM_FAILPOINTS) as containerd meets it: the call fails Internal through the real ttrpc server.</summary>
public sealed class FailpointComponentTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"sevshim-failpoints-{Guid.NewGuid():N}");

    public void Dispose() => File.Delete(_file);

    [Fact]
    public async Task An_armed_create_fails_the_call_as_containerd_sees_it()
    {
        await File.WriteAllTextAsync(_file, "create error\n");
        await using var h = new ShimComponentHarness(new TaskServiceOptions { Failpoints = Failpoints.FromEnvironment(_file, Serilog.Core.Logger.None) });
        var failure = await h.CallFailsAsync("Create", new CreateTaskRequest { Id = "c1", Bundle = h.Bundle("c1") }, CreateTaskResponse.Parser);
        Assert.Equal(TtrpcStatusCode.Internal, failure.Code);
        Assert.Contains("failpoint create", failure.Message, StringComparison.Ordinal);
        Assert.Empty(h.Factory.Created);
    }
}
