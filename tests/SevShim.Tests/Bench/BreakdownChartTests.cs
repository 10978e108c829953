using System.Globalization;
using System.Xml.Linq;
using SevBench;

namespace SevShim.Tests.Bench;

// The bench's report tool (bench/SevBench) has no test project of its own; its chart is checked here,
// next to the shim whose cold start it draws.
public sealed class BreakdownChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void IsWellFormedSvgWithOneBarSegmentPerPhase()
    {
        (string, double)[] phases = [("boot <kernel> & \"init\"", 2.5), ("agent", 0.5), ("missing", 0)];
        var svg = XDocument.Parse(Chart.Render("cold start", phases, [("floor", 2.49), ("runc", 0.26)]));

        Assert.Equal(Svg + "svg", svg.Root!.Name);
        var segments = svg.Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "phase").ToArray();
        Assert.Equal(phases.Length, segments.Length);
        // The labels come through escaped and intact, in the legend and in each segment's tooltip.
        Assert.Equal("boot <kernel> & \"init\": 2.50 s", segments[0].Element(Svg + "title")!.Value);
        Assert.Contains(svg.Descendants(Svg + "text"), t => t.Value == "2.50 s  boot <kernel> & \"init\"");
        Assert.Contains(svg.Descendants(Svg + "text"), t => t.Value == "2.49 s");
        // A phase of no time still gets its pixel, and the segments follow each other.
        Assert.Equal("1", (string?)segments[2].Attribute("width"));
        var x0 = double.Parse((string)segments[0].Attribute("x")!, CultureInfo.InvariantCulture);
        var w0 = double.Parse((string)segments[0].Attribute("width")!, CultureInfo.InvariantCulture);
        var x1 = double.Parse((string)segments[1].Attribute("x")!, CultureInfo.InvariantCulture);
        Assert.Equal(x0 + w0, x1, 1);
    }
}
