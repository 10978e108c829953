using System.Text.Json.Nodes;
using Qemu;
using Sev.Check;

namespace Sev.Tests.Check;

/// <summary>Parsing the recorded qom-list-properties replies of QEMU 7.2 and 10.0 (TestData/qemu).</summary>
public sealed class QemuSevObjectsTests
{
    [Fact]
    public void Qemu_7_2_has_sev_guest_with_the_launch_properties_and_no_sev_snp_guest()
    {
        var objects = RecordedQemu.Qemu72.Objects;

        Assert.NotNull(objects.SevGuest);
        Assert.All(QemuSevObjects.LaunchProperties, p => Assert.Contains(p, objects.SevGuest));
        Assert.Contains("dh-cert-file", objects.SevGuest);
        Assert.Contains("session-file", objects.SevGuest);
        Assert.DoesNotContain("legacy-vm-type", objects.SevGuest);
        Assert.Null(objects.SnpGuest);
        Assert.Equal(new QemuVersion(7, 2, 22), RecordedQemu.Qemu72.Version.Version);
    }

    [Fact]
    public void Qemu_10_has_both_objects_with_the_launch_properties()
    {
        var objects = RecordedQemu.Qemu10.Objects;

        Assert.All(QemuSevObjects.LaunchProperties, p => Assert.True(objects.Has(QemuSevObjects.SevGuestType, p), p));
        Assert.All(QemuSevObjects.LaunchProperties, p => Assert.True(objects.Has(QemuSevObjects.SnpGuestType, p), p));
        Assert.Contains("legacy-vm-type", objects.SevGuest!);
        // SNP-only properties (SEV.md 2.2), with the merged spellings.
        Assert.Contains("author-key-enabled", objects.SnpGuest!);
        Assert.Contains("vcek-disabled", objects.SnpGuest!);
        Assert.Contains("id-block", objects.SnpGuest!);
        Assert.DoesNotContain("dh-cert-file", objects.SnpGuest!);
        Assert.Equal(new QemuVersion(10, 0, 2), RecordedQemu.Qemu10.Version.Version);
    }

    [Fact]
    public void Object_help_text_misses_instance_properties_which_is_why_the_probe_uses_qmp()
    {
        // `-object sev-guest,help` shows class properties only: no cbitpos in either version.
        foreach (var q in new[] { RecordedQemu.Qemu72, RecordedQemu.Qemu10 })
        {
            var help = q.ObjectHelp[q.ObjectHelp.IndexOf("sev-guest options:", StringComparison.Ordinal)..];
            Assert.Contains("kernel-hashes=<bool>", help, StringComparison.Ordinal);
            Assert.DoesNotContain("cbitpos", help, StringComparison.Ordinal);
            Assert.Contains("cbitpos", q.Objects.SevGuest!);
        }

        Assert.Contains("Parameter 'qom-type' does not accept value 'sev-snp-guest'", RecordedQemu.Qemu72.ObjectHelp, StringComparison.Ordinal);
        Assert.Contains("  sev-snp-guest\n", RecordedQemu.Qemu10.ObjectHelp, StringComparison.Ordinal);
    }

    [Fact]
    public void An_error_other_than_device_not_found_is_not_taken_for_a_missing_object()
    {
        var reply = JsonNode.Parse("""{"error": {"class": "CommandNotFound", "desc": "The command qom-list-properties has not been found"}}""")!.AsObject();

        var ex = Assert.Throws<QmpErrorException>(() => QemuSevObjects.FromReply(QemuSevObjects.SevGuestType, reply));
        Assert.Equal("CommandNotFound", ex.ErrorClass);
    }

    [Fact]
    public void A_reply_without_return_or_error_is_a_protocol_error()
    {
        var reply = JsonNode.Parse("""{"QMP": {}}""")!.AsObject();

        Assert.Throws<QmpProtocolException>(() => QemuSevObjects.FromReply(QemuSevObjects.SevGuestType, reply));
    }
}
