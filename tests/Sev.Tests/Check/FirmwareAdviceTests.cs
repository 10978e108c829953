using System.Text.RegularExpressions;
using Sev.Check;
using TestSupport;

namespace Sev.Tests.Check;

/// <summary>
/// The fix the check gives when the AmdSev firmware is missing: on Debian it is
/// scripts/build-firmware.sh, so the text must name that script with the right --out, and the
/// script must exist and install at the default path the text assumes.
/// </summary>
public sealed partial class FirmwareAdviceTests
{
    private static Task<HostReport> Run(FakeHostProbe probe, SevCheckOptions? options = null) =>
        HostCheck.RunAsync(probe, options ?? new SevCheckOptions(), CancellationToken.None);

    private static CheckItem Item(HostReport report, string name) => Assert.Single(report.Items, i => i.Name == name);

    private static string Script => Path.Combine(RepoPaths.Root, "scripts", "build-firmware.sh");

    [Fact]
    public async Task Missing_default_firmware_on_debian_names_build_firmware_script()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Firmware.Clear();

        var report = await Run(probe);

        foreach (var name in new[] { "firmware.hashes-table", "firmware.snp-metadata" })
        {
            var item = Item(report, name);
            Assert.Equal(CheckStatus.Missing, item.Status);
            Assert.Contains("run `scripts/build-firmware.sh` from the sevshim source tree", item.Fix, StringComparison.Ordinal);
            Assert.Contains("installs it as /usr/local/share/sevshim/OVMF.amdsev.fd", item.Fix, StringComparison.Ordinal);
            Assert.DoesNotContain("--out", item.Fix, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Configured_firmware_elsewhere_gets_build_firmware_out_that_path()
    {
        var probe = FakeHostProbe.SevReadyEpyc();

        var report = await Run(probe, new SevCheckOptions { FirmwarePath = "/opt/fw/OVMF.fd" });

        var item = Item(report, "firmware.hashes-table");
        Assert.Equal(CheckStatus.Missing, item.Status);
        Assert.Contains("`scripts/build-firmware.sh --out /opt/fw/OVMF.fd`", item.Fix, StringComparison.Ordinal);
        Assert.Contains("installs it as /opt/fw/OVMF.fd", item.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_debian_hosts_are_not_sent_to_the_apt_based_script()
    {
        var probe = FakeHostProbe.SevReadyEpyc();
        probe.Files[HostPaths.OsRelease] = "PRETTY_NAME=\"Red Hat Enterprise Linux 9.4\"\nID=rhel\n";
        probe.Firmware.Clear();

        var report = await Run(probe);

        var item = Item(report, "firmware.hashes-table");
        Assert.DoesNotContain("build-firmware.sh", item.Fix, StringComparison.Ordinal);
        Assert.Contains("OvmfPkg/AmdSev/AmdSevX64.dsc", item.Fix, StringComparison.Ordinal);
    }

    [Fact]
    public void The_script_the_advice_names_exists_and_installs_at_the_default_firmware_path()
    {
        Assert.True(File.Exists(Script), $"{Script} is missing: FixAdvice.AmdSevFirmware names it");
        Assert.True(OperatingSystem.IsLinux() && (File.GetUnixFileMode(Script) & UnixFileMode.UserExecute) != 0, $"{Script} is not executable");
        var text = File.ReadAllText(Script);

        var defaultOut = DefaultOut().Match(text);
        Assert.True(defaultOut.Success, "scripts/build-firmware.sh no longer sets out=\"${SEVSHIM_FIRMWARE:-...}\"");
        Assert.Equal(HostPaths.FirmwareCandidates[0], defaultOut.Groups[1].Value);
        Assert.Contains("--out) ", text, StringComparison.Ordinal);
        Assert.Contains("OvmfPkg/AmdSev/AmdSevX64.dsc", text, StringComparison.Ordinal);
        // The advice says "Debian 13's edk2 source package": the pin must be a trixie version.
        Assert.Contains("edk2_suite=trixie", text, StringComparison.Ordinal);
        Assert.Matches(@"edk2_version=[0-9.]+-[0-9]+\+deb13u[0-9]+\n", text);
    }

    [GeneratedRegex(@"out=""\$\{SEVSHIM_FIRMWARE:-([^}]+)\}""")]
    private static partial Regex DefaultOut();
}
