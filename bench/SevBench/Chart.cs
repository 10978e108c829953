using System.Globalization;

namespace SevBench;

/// <summary>
/// The start-time chart: one stacked bar of the sevshim cold start's median phases, bars for the
/// floor and runc on the same seconds axis, and a legend with each phase's median.
/// </summary>
internal static class Chart
{
    private const uint Background = 0xFFFFFF;
    private const uint Ink = 0x202020;
    private const uint Grid = 0xDDDDDD;

    private static readonly uint[] Palette =
    [
        0x4E79A7, 0xF28E2B, 0xE15759, 0x76B7B2, 0x59A14F, 0xEDC948,
        0xB07AA1, 0xFF9DA7, 0x9C755F, 0xBAB0AC, 0x17BECF, 0x393B79,
    ];

    public static void Draw(string path, string title, IReadOnlyList<(string Label, double Seconds)> phases, IReadOnlyList<(string Label, double Seconds)> references)
    {
        ArgumentNullException.ThrowIfNull(phases);
        ArgumentNullException.ThrowIfNull(references);
        const int left = 140, right = 40, top = 50, barHeight = 34, barGap = 14, legendRow = 22;
        var width = 1200;
        var bars = 1 + references.Count;
        var axisY = top + (bars * (barHeight + barGap));
        var height = axisY + 40 + (phases.Count * legendRow) + 20;
        var canvas = new Canvas(width, height, Background);
        canvas.Text(left, 14, title, Ink);

        var total = Math.Max(phases.Sum(p => Math.Max(0, p.Seconds)), references.Select(r => r.Seconds).DefaultIfEmpty(0).Max());
        var step = NiceStep(total);
        var max = Math.Max(step, Math.Ceiling(total / step) * step);
        var plot = width - left - right;
        int X(double seconds) => left + (int)Math.Round(plot * seconds / max);

        for (var s = 0.0; s <= max + 1e-9; s += step)
        {
            canvas.Fill(X(s), top - 6, 1, axisY - top + 6, Grid);
            var label = s.ToString(step < 1 ? "0.0" : "0", CultureInfo.InvariantCulture) + "S";
            canvas.Text(X(s) - (Canvas.TextWidth(label) / 2), axisY + 6, label, Ink);
        }

        var y = top;
        canvas.Text(10, y + 10, "SEVSHIM", Ink);
        var at = 0.0;
        for (var i = 0; i < phases.Count; i++)
        {
            var seconds = Math.Max(0, phases[i].Seconds);
            canvas.Fill(X(at), y, Math.Max(1, X(at + seconds) - X(at)), barHeight, Palette[i % Palette.Length]);
            at += seconds;
        }

        foreach (var (label, seconds) in references)
        {
            y += barHeight + barGap;
            canvas.Text(10, y + 10, label, Ink);
            canvas.Fill(X(0), y, Math.Max(1, X(seconds) - X(0)), barHeight, 0x7F7F7F);
            canvas.Text(X(seconds) + 6, y + 10, seconds.ToString("0.00", CultureInfo.InvariantCulture) + " S", Ink);
        }

        canvas.Fill(left, axisY, plot, 1, Ink);
        var ly = axisY + 34;
        for (var i = 0; i < phases.Count; i++)
        {
            canvas.Fill(left, ly, 14, 14, Palette[i % Palette.Length]);
            canvas.Text(left + 22, ly, string.Create(CultureInfo.InvariantCulture, $"{phases[i].Seconds,6:0.00} S  {phases[i].Label}"), Ink);
            ly += legendRow;
        }

        canvas.Save(path);
    }

    // 1, 2 or 5 times a power of ten, giving about 8 to 20 ticks.
    private static double NiceStep(double total)
    {
        if (!(total > 0))
        {
            return 1;
        }

        var raw = total / 10;
        var power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var m = raw / power;
        return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
    }
}
