using System.Globalization;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// Figures the CRI suite measures (pod start per handler), appended to
/// $SEVSHIM_E2E_LOG_DIR/cri-timings.txt (scripts/test.sh sets it) and written to stderr, so that
/// a run leaves them for the README and the closing note.
/// </summary>
public static class CriTimings
{
    private static readonly Lock Gate = new();

    /// <summary>Records one figure; returns the line written.</summary>
    public static string Record(string handler, string what, TimeSpan took)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"cri {handler}: {what}: {took.TotalSeconds:F2} s");
        Write(line);
        return line;
    }

    /// <summary>Records a series as min / median / max; returns the line written.</summary>
    public static string RecordSeries(string handler, string what, IReadOnlyList<TimeSpan> series)
    {
        ArgumentNullException.ThrowIfNull(series);
        if (series.Count == 0)
        {
            return "";
        }

        var sorted = series.Order().ToList();
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"cri {handler}: {what} over {sorted.Count}: min {sorted[0].TotalSeconds:F2} s, median {sorted[sorted.Count / 2].TotalSeconds:F2} s, max {sorted[^1].TotalSeconds:F2} s");
        Write(line);
        return line;
    }

    private static void Write(string line)
    {
        Console.Error.WriteLine(line);
        var dir = Environment.GetEnvironmentVariable("SEVSHIM_E2E_LOG_DIR");
        if (string.IsNullOrEmpty(dir))
        {
            return;
        }

        lock (Gate)
        {
            try
            {
                Directory.CreateDirectory(dir);
                File.AppendAllText(Path.Combine(dir, "cri-timings.txt"), $"{DateTime.UtcNow:O} {line}\n");
            }
            catch (IOException e)
            {
                Console.Error.WriteLine($"cri-timings.txt in {dir}: {e.Message}");
            }
        }
    }
}
