using System.Text.Json;
using Sev.Check;

namespace Sev.Tests.Check;

public sealed class SevCheckCommandTests
{
    private static async Task<(int Exit, string Out, string Err)> Run(FakeHostProbe probe, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await SevCheckCommand.RunAsync(args, new SevCheckOptions(), probe, stdout, stderr, CancellationToken.None);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Ready_host_exits_zero_with_one_line_per_item_and_a_summary()
    {
        var (exit, output, _) = await Run(FakeHostProbe.SevReadyEpyc());

        Assert.Equal(SevCheckCommand.ExitReady, exit);
        var lines = output.Split('\n');
        Assert.Equal(19, lines.Count(l => l.StartsWith("  ok ", StringComparison.Ordinal)));
        Assert.Contains("SEV pods:     can run here", output, StringComparison.Ordinal);
        Assert.Contains("SEV-SNP pods: can run here", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Blocked_host_exits_one_and_says_why()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Files[HostPaths.KvmAmdParameter("sev")] = "N\n";

        var (exit, output, _) = await Run(probe);

        Assert.Equal(SevCheckCommand.ExitNotReady, exit);
        Assert.Contains("SEV pods:     CANNOT run here: blocked by kvm_amd.sev", output, StringComparison.Ordinal);
        Assert.Contains("fix: add 'kvm_amd.sev=1' to GRUB_CMDLINE_LINUX in /etc/default/grub, run `update-grub`", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Json_output_has_items_modes_and_facts()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Files[HostPaths.KvmAmdParameter("sev_snp")] = "N\n";

        var (exit, output, _) = await Run(probe, "--json");

        Assert.Equal(0, exit);
        using var doc = JsonDocument.Parse(output);
        var root = doc.RootElement;
        Assert.True(root.GetProperty("sevReady").GetBoolean());
        Assert.Equal("debian", root.GetProperty("distribution").GetProperty("family").GetString());
        var snpItem = root.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("name").GetString() == "kvm_amd.sev_snp");
        Assert.Equal("missing", snpItem.GetProperty("status").GetString());
        Assert.Equal(["sev-snp"], snpItem.GetProperty("gates").EnumerateArray().Select(g => g.GetString()));
        var modes = root.GetProperty("modes").EnumerateArray().ToArray();
        Assert.Equal(["sev", "sev-es", "sev-snp"], modes.Select(m => m.GetProperty("mode").GetString()));
        Assert.False(modes[2].GetProperty("ready").GetBoolean());
        Assert.Equal(["kvm_amd.sev_snp"], modes[2].GetProperty("blockedBy").EnumerateArray().Select(b => b.GetString()));
        Assert.Equal(51, root.GetProperty("facts").GetProperty("cbitpos").GetInt32());
        Assert.Equal("9.1.0", root.GetProperty("facts").GetProperty("qemuVersion").GetString());
        // Shell commands stay readable in the raw text (relaxed escaping).
        Assert.Contains("run `update-grub`", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("--qemu")]
    public async Task Bad_arguments_exit_two_with_usage(string arg)
    {
        var (exit, _, err) = await Run(FakeHostProbe.SevReadyEpyc(), arg);

        Assert.Equal(SevCheckCommand.ExitUsage, exit);
        Assert.Contains(arg, err, StringComparison.Ordinal);
        Assert.Contains("usage:", err, StringComparison.Ordinal);
    }
}
