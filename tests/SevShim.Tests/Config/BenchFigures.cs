using System.Globalization;
using System.Text.RegularExpressions;
using TestSupport;

namespace SevShim.Tests.Config;

/// <summary>
/// The memory figures of the benchmark's last committed run (bench/results/results.md, written
/// by scripts/bench.sh): the largest sevshim value of each row, so the overhead is checked
/// against the worst pod of that run.
/// </summary>
internal sealed partial record BenchFigures(double ShimMib, double QemuOwnMib)
{
    public static string PathInRepo => Path.Combine(RepoPaths.Root, "bench", "results", "results.md");

    public static BenchFigures Load()
    {
        var lines = File.ReadAllLines(PathInRepo);
        return new BenchFigures(
            Largest(lines, "| shim RSS after the throughput runs (MiB) |", column: 2),
            Largest(lines, "| QEMU's own memory:", column: 2));
    }

    // The row's cell (0: the label), every number in it; a row missing is a stale results page.
    private static double Largest(string[] lines, string rowStart, int column)
    {
        var row = lines.FirstOrDefault(l => l.StartsWith(rowStart, StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"{PathInRepo} has no row '{rowStart}': run scripts/bench.sh and commit its results");
        var cells = row.Split('|', StringSplitOptions.TrimEntries)[1..^1];
        var numbers = Number().Matches(cells[column]).Select(m => double.Parse(m.Value, CultureInfo.InvariantCulture)).ToList();
        return numbers.Count > 0
            ? numbers.Max()
            : throw new Xunit.Sdk.XunitException($"{PathInRepo}: row '{rowStart}' has no figure in '{cells[column]}'");
    }

    [GeneratedRegex(@"\d+(\.\d+)?")]
    private static partial Regex Number();
}
