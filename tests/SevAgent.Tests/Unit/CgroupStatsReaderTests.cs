using SevAgent.Stats;

namespace SevAgent.Tests.Unit;

public sealed class CgroupStatsReaderTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cgroup-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Reads_v2_files()
    {
        File.WriteAllText(Path.Combine(_dir, "cgroup.controllers"), "cpu memory pids io\n");
        var c = Directory.CreateDirectory(Path.Combine(_dir, "sevagent", "c1")).FullName;
        File.WriteAllText(Path.Combine(c, "cpu.stat"), "usage_usec 1500\nuser_usec 1000\nsystem_usec 500\nnr_periods 3\nnr_throttled 1\nthrottled_usec 42\n");
        File.WriteAllText(Path.Combine(c, "memory.current"), "4096\n");
        File.WriteAllText(Path.Combine(c, "memory.max"), "max\n");
        File.WriteAllText(Path.Combine(c, "memory.peak"), "8192\n");
        File.WriteAllText(Path.Combine(c, "memory.events"), "low 0\nhigh 0\nmax 7\noom 2\noom_kill 1\n");
        File.WriteAllText(Path.Combine(c, "memory.stat"), "anon 1024\nfile 2048\n");
        File.WriteAllText(Path.Combine(c, "pids.current"), "3\n");
        File.WriteAllText(Path.Combine(c, "pids.max"), "100\n");
        File.WriteAllText(Path.Combine(c, "io.stat"), "8:0 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=0 dios=0\n254:1 rbytes=5\n");

        var layout = new CgroupLayout(_dir);
        Assert.True(layout.IsV2);
        var stats = CgroupStatsReader.Read(layout, "/sevagent/c1");

        Assert.Equal(1500u, stats.Cpu.UsageUsec);
        Assert.Equal(500u, stats.Cpu.SystemUsec);
        Assert.Equal(42u, stats.Cpu.ThrottledUsec);
        Assert.Equal(4096u, stats.Memory.UsageBytes);
        Assert.Equal(0u, stats.Memory.LimitBytes);
        Assert.Equal(8192u, stats.Memory.MaxUsageBytes);
        Assert.Equal(7u, stats.Memory.EventsMax);
        Assert.Equal(1u, stats.Memory.EventsOomKill);
        Assert.Equal(2048u, stats.Memory.Stat["file"]);
        Assert.Equal(3u, stats.Pids.Current);
        Assert.Equal(100u, stats.Pids.Limit);
        Assert.Equal(2, stats.Io.Devices.Count);
        Assert.Equal(8u, stats.Io.Devices[0].Major);
        Assert.Equal(20u, stats.Io.Devices[0].Wbytes);
        Assert.Equal(254u, stats.Io.Devices[1].Major);
        Assert.Equal(5u, stats.Io.Devices[1].Rbytes);
        Assert.Contains("memory.swap.current", stats.Missing);
        Assert.Equal(1u, CgroupStatsReader.ReadOomKills(layout, "/sevagent/c1"));
    }

    [Fact]
    public void Reads_the_v1_subset()
    {
        var memory = Directory.CreateDirectory(Path.Combine(_dir, "memory", "p", "c")).FullName;
        var pids = Directory.CreateDirectory(Path.Combine(_dir, "pids", "p", "c")).FullName;
        File.WriteAllText(Path.Combine(memory, "memory.usage_in_bytes"), "65536\n");
        File.WriteAllText(Path.Combine(memory, "memory.limit_in_bytes"), "9223372036854771712\n");
        File.WriteAllText(Path.Combine(memory, "memory.oom_control"), "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
        File.WriteAllText(Path.Combine(pids, "pids.current"), "1\n");

        var layout = new CgroupLayout(_dir);
        Assert.False(layout.IsV2);
        var stats = CgroupStatsReader.Read(layout, "/p/c");

        Assert.Equal(65536u, stats.Memory.UsageBytes);
        Assert.Equal(0u, stats.Memory.LimitBytes);
        Assert.Equal(2u, stats.Memory.EventsOomKill);
        Assert.Equal(1u, stats.Pids.Current);
        Assert.Contains("cpuacct/cpuacct.usage", stats.Missing);
        Assert.Equal(2u, CgroupStatsReader.ReadOomKills(layout, "/p/c"));
    }

    [Theory]
    [InlineData("max\n", 0UL)]
    [InlineData("123\n", 123UL)]
    [InlineData("garbage", 0UL)]
    public void ParseLimit_reads_max_as_no_limit(string text, ulong expected) =>
        Assert.Equal(expected, CgroupStatsReader.ParseLimit(text));

    [Fact]
    public void ParseKeyed_skips_malformed_lines()
    {
        var keyed = CgroupStatsReader.ParseKeyed("a 1\nbroken\nb x\nc 3 4\nd 5\n");
        Assert.Equal(2, keyed.Count);
        Assert.Equal(5u, keyed["d"]);
    }
}
