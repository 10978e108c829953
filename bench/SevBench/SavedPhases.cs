namespace SevBench;

/// <summary>
/// The phase medians read back from a results folder's phases.tsv (what <see cref="Report.PhasesTsv"/>
/// wrote: per run, each milestone's seconds since the bench's start), so that the chart can be
/// redrawn without the raw recordings, which are not committed.
/// </summary>
internal static class SavedPhases
{
    private const int FirstMilestone = 3; // after id, rep and wall

    /// <summary>Per phase its label and median duration (0 where no run has it), and the number of runs.</summary>
    public static (IReadOnlyList<(string Label, double Seconds)> Phases, int Runs) Load(string path)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).Select(l => l.Split('\t')).ToArray();
        if (lines.Length == 0 || lines[0].Length <= FirstMilestone)
        {
            throw new InvalidDataException($"{path}: no header of phases");
        }

        var labels = lines[0][FirstMilestone..];
        var runs = lines.Skip(1).Select(r => r.Skip(FirstMilestone).Select(Tsv.Number).ToArray()).ToArray();
        var phases = labels.Select((label, i) =>
            (label, Stats.Of(runs.Where(r => r.Length > i).Select(r => r[i] - (i == 0 ? 0 : r[i - 1])))?.Median ?? 0)).ToArray();
        return (phases, runs.Length);
    }
}
