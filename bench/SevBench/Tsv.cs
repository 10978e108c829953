using System.Globalization;

namespace SevBench;

/// <summary>The tab-separated files scripts/bench.sh writes (one record per line, no header).</summary>
internal static class Tsv
{
    public static IReadOnlyList<string[]> Read(string path) =>
        File.Exists(path)
            ? File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => l.Split('\t')).ToArray()
            : [];

    /// <summary>A bash $EPOCHREALTIME or any number; NaN when empty or not a number.</summary>
    public static double Number(string text) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : double.NaN;
}
