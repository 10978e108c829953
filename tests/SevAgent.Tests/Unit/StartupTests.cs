using System.Reflection;
using System.Text.RegularExpressions;
using SevAgent.Hosting;

namespace SevAgent.Tests.Unit;

public sealed class StartupTests
{
    [Theory]
    [InlineData(3, 4, 5, 67, "03:04:05.067")]
    [InlineData(23, 59, 59, 999, "23:59:59.999")]
    [InlineData(0, 0, 0, 0, "00:00:00.000")]
    [InlineData(12, 30, 7, 450, "12:30:07.450")]
    public void Log_timestamps_match_the_HH_mm_ss_fff_format(int hour, int minute, int second, int ms, string expected)
    {
        var t = new DateTime(2026, 11, 29, hour, minute, second, ms, DateTimeKind.Utc);
        Assert.Equal(expected, StderrWriter.Timestamp(t));
        Assert.Equal(t.ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture), StderrWriter.Timestamp(t));
    }

    [Fact]
    public void Version_constant_is_the_assemblys_informational_version()
    {
        var attribute = typeof(AgentOptions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>();
        Assert.NotNull(attribute);
        Assert.Equal(AgentVersion.Value, attribute.InformationalVersion);
    }

    [Fact]
    public void Startup_trace_lists_marks_in_order()
    {
        var trace = new StartupTrace();
        trace.Mark("options");
        trace.Mark("build");
        var summary = trace.Summary();
        Assert.Matches(new Regex(@"^main at \d+ ms of uptime; options \d+, build \d+ ms; \d+ gen0 collections, \d+ KiB allocated$"), summary);
    }
}
