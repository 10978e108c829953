using System.Text.Json;
using Sev.Check;
using TestSupport;

namespace Sev.ComponentTests;

/// <summary>`check --json` on this very host: every item reported, its real QEMU probed, the exit code agreeing with the verdict.</summary>
public sealed class SevCheckHostTests
{
    [E2EFact(Requirement.Qemu)]
    public async Task Real_host_check_reports_every_item_and_its_exit_code_matches()
    {
        Prerequisites.Ensure(Requirement.Qemu);
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));

        var exit = await SevCheckCommand.RunAsync(["--json"], stdout, stderr, cts.Token);

        using var doc = JsonDocument.Parse(stdout.ToString());
        var root = doc.RootElement;
        Assert.Equal(19, root.GetProperty("items").GetArrayLength());
        Assert.Equal(root.GetProperty("sevReady").GetBoolean() ? 0 : 1, exit);
        var qemu = root.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("name").GetString() == "qemu.version");
        Assert.Equal("ok", qemu.GetProperty("status").GetString());
        // QEMU answered query-sev-capabilities one way or the other: an answer, or its error quoted.
        var caps = root.GetProperty("items").EnumerateArray().Single(i => i.GetProperty("name").GetString() == "qemu.sev-capabilities");
        Assert.Contains("query-sev-capabilities ->", caps.GetProperty("evidence").GetString(), StringComparison.Ordinal);
    }
}
