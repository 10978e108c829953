using System.Text.Encodings.Web;
using System.Text.Json;

namespace Sev.Check;

/// <summary>Renders a <see cref="HostReport"/> for people (one line per item) or as JSON.</summary>
public static class HostReportWriter
{
    // Evidence quotes shell commands and paths: keep ', +, < and > readable (the output is a
    // terminal or a file, never HTML).
    private static readonly HostReportJsonContext ReadableJson = new(new JsonSerializerOptions
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        WriteIndented = true,
    });

    /// <summary>Status as printed and in JSON: ok, missing, unknown.</summary>
    public static string Name(this CheckStatus status) => status switch
    {
        CheckStatus.Ok => "ok",
        CheckStatus.Missing => "missing",
        _ => "unknown",
    };

    /// <summary>One line per item (fix indented below a failing one), then a per-mode summary.</summary>
    public static void WriteHuman(HostReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine($"sevshim host check on {report.Distribution.PrettyName}");
        var width = report.Items.Max(i => i.Name.Length);
        foreach (var item in report.Items)
        {
            var tag = item.Gates.Count == 0 && item.Status != CheckStatus.Ok ? item.Status.Name() + "*" : item.Status.Name();
            output.WriteLine($"  {tag,-8} {item.Name.PadRight(width)}  {item.Evidence}");
            if (item.Status != CheckStatus.Ok && item.Fix is not null)
            {
                output.WriteLine($"  {string.Empty,-8} {string.Empty.PadRight(width)}  fix: {item.Fix}");
            }
        }

        if (report.Items.Any(i => i.Gates.Count == 0 && i.Status != CheckStatus.Ok))
        {
            output.WriteLine("  (* advisory: does not block any mode)");
        }

        WriteQemuBinaries(report.QemuBinaries, output);
        output.WriteLine();
        foreach (var mode in report.Modes)
        {
            var label = (mode.Mode.DisplayName() + " pods:").PadRight(14);
            if (mode.Ready)
            {
                output.WriteLine($"{label}can run here");
            }
            else
            {
                output.WriteLine($"{label}CANNOT run here: blocked by {string.Join(", ", mode.Blockers.Select(b => b.Name))}");
                var first = mode.Blockers[0];
                output.WriteLine($"{string.Empty,14}first cause: {first.Name}: {first.Evidence}");
            }
        }
    }

    // Per binary: what it can launch by its own objects, apart from the host's SEV state (the items).
    private static void WriteQemuBinaries(IReadOnlyList<QemuBinaryReport> binaries, TextWriter output)
    {
        if (binaries.Count == 0)
        {
            return;
        }

        output.WriteLine();
        output.WriteLine("QEMU binaries (what each can launch, by its own SEV objects):");
        foreach (var b in binaries)
        {
            output.WriteLine($"  {b.Path} [{string.Join(", ", b.Roles)}]: {(b.Version is { } v ? "QEMU " + v : "version unknown")}");
            foreach (var m in b.Modes)
            {
                output.WriteLine($"    {m.Mode.Name(),-8} {(m.CanLaunch ? "can launch" : "cannot: " + m.Reason)}");
            }
        }
    }

    /// <summary>The JSON document (source-generated serializer, AOT safe).</summary>
    public static void WriteJson(HostReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine(JsonSerializer.Serialize(ToJson(report), ReadableJson.HostReportJson));
    }

    internal static HostReportJson ToJson(HostReport report)
    {
        var f = report.Facts;
        return new HostReportJson(
            new DistributionJson(report.Distribution.Id, report.Distribution.PrettyName, report.Distribution.Family.ToString().ToLowerInvariant()),
            report.Items.Select(i => new CheckItemJson(i.Name, i.Status.Name(), i.Evidence, i.Fix, i.Gates.Select(g => g.Name()).ToArray())).ToArray(),
            report.Modes.Select(m => new ModeJson(m.Mode.Name(), m.Ready, m.Blockers.Select(b => b.Name).ToArray())).ToArray(),
            new FactsJson(f.CBitPosition, f.CpuidReducedPhysBits, f.ReducedPhysBits, f.MaxEncryptedGuests, f.MinSevAsid,
                f.Qemu?.Version.ToString(), f.Qemu?.Package, f.KvmUsable),
            report.CanRun(SevMode.Sev),
            report.QemuBinaries.Select(b => new QemuBinaryJson(b.Path, b.Roles, b.Version?.Version.ToString(), b.Version?.Package,
                b.Modes.Select(m => new QemuModeJson(m.Mode.Name(), m.CanLaunch, m.Reason)).ToArray())).ToArray());
    }
}
