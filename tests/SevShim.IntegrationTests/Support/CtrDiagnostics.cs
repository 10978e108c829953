using System.Text;

namespace SevShim.IntegrationTests.Support;

/// <summary>
/// Adds what explains an end-to-end failure to its message: the tail of containerd's log (the
/// shims' log FIFOs are copied into it) and the tail of each pod's guest console
/// (/run/sevshim/&lt;id&gt;/console.log, while the pod still exists).
/// </summary>
public static class CtrDiagnostics
{
    /// <summary>Runs <paramref name="body"/>; a failure is rethrown with the diagnostics for <paramref name="ids"/> appended.</summary>
    public static async Task RunAsync(CtrContainerd containerd, IReadOnlyList<string> ids, Func<Task> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        try
        {
            await body();
        }
        catch (Exception e) when (e is not CtrE2EException)
        {
            throw new CtrE2EException(e.Message + "\n" + Describe(containerd, ids), e);
        }
    }

    /// <summary>The diagnostics text.</summary>
    public static string Describe(CtrContainerd containerd, IReadOnlyList<string> ids)
    {
        ArgumentNullException.ThrowIfNull(containerd);
        ArgumentNullException.ThrowIfNull(ids);
        var text = new StringBuilder();

        // Most telling first (CI keeps only the tail of a run, and scripts/test.sh repeats the
        // first lines of each failure): the shim's own messages about these ids, then what
        // consoles remain, then containerd's raw tail.
        text.AppendLine("\n--- shim messages about these ids (last 40) ---");
        foreach (var line in ShimMessages(containerd, ids).TakeLast(40))
        {
            text.AppendLine(line);
        }

        foreach (var id in ids)
        {
            var console = Path.Combine(CtrContainerd.ShimStateRoot, id, "console.log");
            if (File.Exists(console))
            {
                text.Append("--- guest console ").Append(console).AppendLine(" (last 40 lines) ---");
                text.AppendLine(CtrContainerd.Tail(console, 40));
            }
        }

        text.Append("--- containerd + shim log (").Append(containerd.LogPath).AppendLine(", last 100 lines) ---");
        text.AppendLine(containerd.LogTail(100));
        return text.ToString();
    }

    /// <summary>The shims' structured lines (Serilog compact JSON) naming one of the ids, as "time message".</summary>
    private static IEnumerable<string> ShimMessages(CtrContainerd containerd, IReadOnlyList<string> ids)
    {
        foreach (var line in containerd.LogTail(5000).Split('\n'))
        {
            if (!line.StartsWith('{') || !ids.Any(id => line.Contains(id, StringComparison.Ordinal)))
            {
                continue;
            }

            string? shown = null;
            try
            {
                using var json = System.Text.Json.JsonDocument.Parse(line);
                var root = json.RootElement;
                var time = root.TryGetProperty("@t", out var t) ? t.GetString() : null;
                var message = root.TryGetProperty("@m", out var m) ? m.GetString() : null;
                var error = root.TryGetProperty("@x", out var x) ? " | " + x.GetString()?.Split('\n')[0] : "";
                shown = $"{(time is { Length: >= 23 } ? time[11..23] : time)} {message}{error}";
            }
            catch (System.Text.Json.JsonException)
            {
                shown = line;
            }

            yield return shown;
        }
    }
}
