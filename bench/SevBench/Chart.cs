using System.Globalization;
using System.Text;
using System.Xml;

namespace SevBench;

/// <summary>
/// The start-time chart as SVG: one stacked bar of the sevshim cold start's median phases, bars for
/// the floor and runc on the same seconds axis, and a legend with each phase's median. Plain XML
/// through <see cref="XmlWriter"/>, which escapes the labels; a browser or GitHub renders it.
/// </summary>
internal static class Chart
{
    private const string Svg = "http://www.w3.org/2000/svg";
    private const string Background = "#FFFFFF";
    private const string Ink = "#202020";
    private const string Grid = "#DDDDDD";
    private const string Reference = "#7F7F7F";
    private const string Font = "DejaVu Sans, Verdana, Arial, sans-serif";

    private static readonly string[] Palette =
    [
        "#4E79A7", "#F28E2B", "#E15759", "#76B7B2", "#59A14F", "#EDC948",
        "#B07AA1", "#FF9DA7", "#9C755F", "#BAB0AC", "#17BECF", "#393B79",
    ];

    public static void Draw(string path, string title, IReadOnlyList<(string Label, double Seconds)> phases, IReadOnlyList<(string Label, double Seconds)> references) =>
        File.WriteAllText(path, Render(title, phases, references));

    /// <summary>The SVG document; each phase's segment of the stacked bar is the one rect of class "phase" for it.</summary>
    public static string Render(string title, IReadOnlyList<(string Label, double Seconds)> phases, IReadOnlyList<(string Label, double Seconds)> references)
    {
        ArgumentNullException.ThrowIfNull(title);
        ArgumentNullException.ThrowIfNull(phases);
        ArgumentNullException.ThrowIfNull(references);
        const int left = 140, right = 40, top = 50, barHeight = 34, barGap = 14, legendRow = 22;
        const int width = 1200;
        var bars = 1 + references.Count;
        var axisY = top + (bars * (barHeight + barGap));
        var height = axisY + 40 + (phases.Count * legendRow) + 20;

        var total = Math.Max(phases.Sum(p => Math.Max(0, p.Seconds)), references.Select(r => r.Seconds).DefaultIfEmpty(0).Max());
        var step = NiceStep(total);
        var max = Math.Max(step, Math.Ceiling(total / step) * step);
        const int plot = width - left - right;
        double X(double seconds) => left + (plot * seconds / max);

        var buffer = new MemoryStream();
        var settings = new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = true, IndentChars = " " };
        using (var w = XmlWriter.Create(buffer, settings))
        {
            w.WriteStartElement("svg", Svg);
            Attr(w, "width", width);
            Attr(w, "height", height);
            w.WriteAttributeString("viewBox", Invariant($"0 0 {width} {height}"));
            w.WriteAttributeString("font-family", Font);
            w.WriteAttributeString("font-size", "14");
            w.WriteElementString("title", Svg, title);
            Rect(w, 0, 0, width, height, Background);
            Text(w, left, 24, title, "bold");

            for (var s = 0.0; s <= max + 1e-9; s += step)
            {
                Rect(w, X(s), top - 6, 1, axisY - top + 6, Grid);
                var label = s.ToString(step < 1 ? "0.0" : "0", CultureInfo.InvariantCulture) + " s";
                Text(w, X(s), axisY + 20, label, anchor: "middle");
            }

            var y = top;
            Text(w, 10, y + 22, "sevshim");
            var at = 0.0;
            for (var i = 0; i < phases.Count; i++)
            {
                var seconds = Math.Max(0, phases[i].Seconds);
                w.WriteStartElement("rect", Svg);
                w.WriteAttributeString("class", "phase");
                Attr(w, "x", X(at));
                Attr(w, "y", y);
                // At least a pixel, so that a phase of a few milliseconds still shows.
                Attr(w, "width", Math.Max(1, X(at + seconds) - X(at)));
                Attr(w, "height", barHeight);
                w.WriteAttributeString("fill", Palette[i % Palette.Length]);
                w.WriteElementString("title", Svg, Invariant($"{phases[i].Label}: {seconds:0.00} s"));
                w.WriteEndElement();
                at += seconds;
            }

            foreach (var (label, seconds) in references)
            {
                y += barHeight + barGap;
                Text(w, 10, y + 22, label);
                Rect(w, X(0), y, Math.Max(1, X(seconds) - X(0)), barHeight, Reference);
                Text(w, X(seconds) + 6, y + 22, Invariant($"{seconds:0.00} s"));
            }

            Rect(w, left, axisY, plot, 1, Ink);
            var ly = axisY + 34;
            for (var i = 0; i < phases.Count; i++)
            {
                Rect(w, left, ly, 14, 14, Palette[i % Palette.Length]);
                Text(w, left + 22, ly + 12, Invariant($"{phases[i].Seconds:0.00} s  {phases[i].Label}"));
                ly += legendRow;
            }

            w.WriteEndElement();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static void Rect(XmlWriter w, double x, double y, double width, double height, string fill)
    {
        w.WriteStartElement("rect", Svg);
        Attr(w, "x", x);
        Attr(w, "y", y);
        Attr(w, "width", width);
        Attr(w, "height", height);
        w.WriteAttributeString("fill", fill);
        w.WriteEndElement();
    }

    // y is the text's baseline (SVG's), not its top.
    private static void Text(XmlWriter w, double x, double y, string text, string? weight = null, string? anchor = null)
    {
        w.WriteStartElement("text", Svg);
        Attr(w, "x", x);
        Attr(w, "y", y);
        w.WriteAttributeString("fill", Ink);
        if (weight is not null)
        {
            w.WriteAttributeString("font-weight", weight);
        }

        if (anchor is not null)
        {
            w.WriteAttributeString("text-anchor", anchor);
        }

        // xml:space keeps the legend's two spaces between the seconds and the label.
        w.WriteAttributeString("xml", "space", null, "preserve");
        w.WriteString(text);
        w.WriteEndElement();
    }

    // Coordinates to a tenth of a pixel, in the invariant culture: SVG wants '.' as the decimal point.
    private static void Attr(XmlWriter w, string name, double value) =>
        w.WriteAttributeString(name, Math.Round(value, 1).ToString("0.#", CultureInfo.InvariantCulture));

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

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
