using System.Globalization;

namespace SevBench;

/// <summary>Median and spread of a set of samples (min and max: the runs are too few for percentiles).</summary>
internal sealed record Stats(int Count, double Median, double Min, double Max)
{
    public static Stats? Of(IEnumerable<double> samples)
    {
        var sorted = samples.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }

        var mid = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        return new Stats(sorted.Length, median, sorted[0], sorted[^1]);
    }

    /// <summary>"median (min to max)" with <paramref name="format"/> after scaling by <paramref name="scale"/>.</summary>
    public string Show(string format, double scale = 1) =>
        string.Create(CultureInfo.InvariantCulture, $"{(Median * scale).ToString(format, CultureInfo.InvariantCulture)} ({(Min * scale).ToString(format, CultureInfo.InvariantCulture)} to {(Max * scale).ToString(format, CultureInfo.InvariantCulture)})");
}
