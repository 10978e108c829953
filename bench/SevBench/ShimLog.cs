using System.Globalization;
using System.Text.Json;

namespace SevBench;

/// <summary>
/// The shims' lines in the private containerd's log: containerd 1.6 copies each shim's log FIFO to
/// its own stderr as is, so the sevshim lines are Serilog's rendered compact JSON ("@t", "@m" and
/// the properties, "id" naming the task the daemon was started for).
/// </summary>
internal sealed class ShimLog
{
    private readonly Dictionary<string, List<LogLine>> _byId = new(StringComparer.Ordinal);

    public static ShimLog Load(string containerdLog)
    {
        var log = new ShimLog();
        if (!File.Exists(containerdLog))
        {
            return log;
        }

        foreach (var line in File.ReadLines(containerdLog))
        {
            if (!line.StartsWith("{\"@t\"", StringComparison.Ordinal))
            {
                continue;
            }

            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                var id = root.TryGetProperty("id", out var idValue) ? idValue.GetString() ?? string.Empty : string.Empty;
                // Serilog quotes string values in the rendered message; match on the bare words.
                var message = (root.TryGetProperty("@m", out var m) ? m.GetString() ?? string.Empty : string.Empty).Replace("\"", string.Empty, StringComparison.Ordinal);
                var list = log.Lines(id);
                if (root.TryGetProperty("begun", out var begun) && begun.GetString() is { } begunText)
                {
                    list.Add(new LogLine(Seconds(begunText), "start verb begun"));
                }

                list.Add(new LogLine(Seconds(root.GetProperty("@t").GetString() ?? string.Empty), message));
            }
            catch (JsonException)
            {
                // A line cut by a concurrent writer: not ours to judge.
            }
        }

        return log;
    }

    /// <summary>The lines of the shim daemon started for <paramref name="id"/>.</summary>
    public IReadOnlyList<LogLine> For(string id) => _byId.TryGetValue(id, out var list) ? list : [];

    /// <summary>The time of the first line of <paramref name="id"/> whose message contains <paramref name="text"/>.</summary>
    public double First(string id, string text) =>
        For(id).FirstOrDefault(l => l.Message.Contains(text, StringComparison.Ordinal))?.Time ?? double.NaN;

    private List<LogLine> Lines(string id)
    {
        if (!_byId.TryGetValue(id, out var list))
        {
            list = [];
            _byId[id] = list;
        }

        return list;
    }

    private static double Seconds(string iso) =>
        DateTimeOffset.TryParse(iso, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? (t.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / (double)TimeSpan.TicksPerSecond
            : double.NaN;
}
