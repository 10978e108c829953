using System.Text.Json.Nodes;
using Qemu;
using Sev.Check;

namespace Sev.Tests.Check;

/// <summary>
/// The replies of a real QEMU recorded by TestData/qemu/capture.sh (see its README): the QMP
/// greeting, then qmp_capabilities, qom-list-properties sev-guest, qom-list-properties
/// sev-snp-guest and query-sev-capabilities, one line each.
/// </summary>
internal sealed class RecordedQemu
{
    private RecordedQemu(string folder)
    {
        var lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Check", "TestData", "qemu", folder, "qmp.jsonl"));
        Replies = lines.Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
        ObjectHelp = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Check", "TestData", "qemu", folder, "object-help.txt"));
        // The recorded `--version` line, as the probe reads it.
        Version = QemuVersion.Parse(ObjectHelp.Split('\n')[1]);
    }

    /// <summary>Debian 12's /usr/bin/qemu-system-x86_64.</summary>
    public static RecordedQemu Qemu72 { get; } = new("qemu-7.2");

    /// <summary>bookworm-backports' QEMU as scripts/qemu-backports.sh unpacks it.</summary>
    public static RecordedQemu Qemu10 { get; } = new("qemu-10.0");

    public IReadOnlyList<JsonObject> Replies { get; }

    public QemuVersionInfo Version { get; }

    /// <summary>`--version`, `-object help` and `-object TYPE,help` as printed.</summary>
    public string ObjectHelp { get; }

    public JsonObject SevGuestReply => Replies[2];

    public JsonObject SnpGuestReply => Replies[3];

    public JsonObject CapabilitiesReply => Replies[4];

    /// <summary>The objects as the probe parses them from these replies.</summary>
    public QemuSevObjects Objects => new(
        QemuSevObjects.FromReply(QemuSevObjects.SevGuestType, SevGuestReply),
        QemuSevObjects.FromReply(QemuSevObjects.SnpGuestType, SnpGuestReply));

    /// <summary>A probe result for this QEMU at <paramref name="path"/>, asked under TCG as on this machine.</summary>
    public QemuProbeResult Probe(string path) => new(
        path, Version, null, "tcg", null,
        $"{CapabilitiesReply["error"]!["class"]}: {CapabilitiesReply["error"]!["desc"]}",
        Objects, null);
}
