using System.Globalization;

namespace SevBench;

/// <summary>The figures of one bench run, from the raw tables and logs.</summary>
internal sealed class Figures
{
    private readonly RawData _raw;

    public Figures(RawData raw)
    {
        _raw = raw;
        SevshimRuns = raw.ColdStarts.Where(r => r.Runtime == RawData.Sevshim && r.Ok).ToArray();
        var floor = raw.Table("floor.tsv").Where(r => r.Length >= 5 && r[4] == "0").ToArray();
        FloorMarker = Stats.Of(floor.Select(r => Tsv.Number(r[2]) - Tsv.Number(r[1])));
        FloorExit = Stats.Of(floor.Select(r => Tsv.Number(r[3]) - Tsv.Number(r[1])));
        GuestKernelUptime = Stats.Of(SevshimRuns.Select(r => Capture(r.Console.FirstLine("sevshim-init: stage1"), Report.Stage1Uptime())));
        AgentSelfStart = Stats.Of(SevshimRuns.Select(r => Capture(r.Console.FirstLine("serving on"), Report.AgentServing()) / 1000));
        FirstOutput = Stats.Of(raw.Table("coldstart-echo.tsv")
            .Where(r => r.Length >= 7 && r[6] == "0")
            .Select(r => Tsv.Number(r[4]) - raw.Shim.First(r[2], "Started init process")));
        var agent = raw.Consoles().Select(c => c.FirstLine("powering off (agent VmRSS")).OfType<string>()
            .Select(l => Report.AgentMemory().Match(l)).Where(x => x.Success).ToArray();
        AgentRss = Stats.Of(agent.Select(x => Report.ToMib(double.Parse(x.Groups[1].Value, CultureInfo.InvariantCulture))));
        AgentHwm = Stats.Of(agent.Select(x => Report.ToMib(double.Parse(x.Groups[2].Value, CultureInfo.InvariantCulture))));
        ThroughputMib = raw.Table("throughput.tsv").Select(r => Tsv.Number(r[5])).Where(double.IsFinite).DefaultIfEmpty(0).Max() is var b and > 0
            ? Math.Round(Report.BytesToMib(b)).ToString(CultureInfo.InvariantCulture)
            : "?";
    }

    public IReadOnlyList<ColdStartRun> SevshimRuns { get; }

    public Stats? FloorMarker { get; }

    public Stats? FloorExit { get; }

    public Stats? GuestKernelUptime { get; }

    public Stats? AgentSelfStart { get; }

    public Stats? FirstOutput { get; }

    public Stats? AgentRss { get; }

    public Stats? AgentHwm { get; }

    public string ThroughputMib { get; }

    public IEnumerable<string> Density
    {
        get
        {
            var pods = _raw.Table("density.tsv");
            foreach (var r in _raw.Table("density-total.tsv").Where(r => r.Length >= 6))
            {
                var runtime = r[0];
                var mine = pods.Where(p => p.Length >= 5 && p[0] == runtime).ToArray();
                var ok = mine.Count(p => p[4] == "0");
                var wall = Tsv.Number(r[2]) - Tsv.Number(r[1]);
                var used = Report.ToMib(Tsv.Number(r[3]) - Tsv.Number(r[4]));
                var rss = Report.ToMib(Tsv.Number(r[5]));
                var name = runtime == RawData.Sevshim ? "sevshim" : "runc";
                yield return string.Create(CultureInfo.InvariantCulture,
                    $"| density, {name}: {mine.Length} pods started at once | {ok}/{mine.Length} up after {wall:0.0} s; host MemAvailable down {used:0} MiB ({used / Math.Max(1, mine.Length):0} MiB per pod); shim+QEMU RSS {rss:0} MiB | |");
            }
        }
    }

    public Stats? Wall(string runtime) =>
        Stats.Of(_raw.ColdStarts.Where(r => r.Runtime == runtime && r.Ok).Select(r => r.Wall));

    public Stats? Exec(string runtime) =>
        Stats.Of(_raw.Table("exec.tsv").Where(r => r.Length >= 5 && r[0] == runtime && r[4] == "0").Select(r => Tsv.Number(r[3]) - Tsv.Number(r[2])));

    public Stats? Throughput(string runtime) =>
        Stats.Of(GoodThroughput(runtime).Select(r => Report.BytesToMib(Tsv.Number(r[5])) / (Tsv.Number(r[4]) - Tsv.Number(r[3]))));

    /// <summary>TCP pod to node (net.tsv: runtime rep t0 t_first t_end bytes rc), first byte to EOF.</summary>
    public Stats? NetThroughput(string runtime) =>
        Stats.Of(_raw.Table("net.tsv").Where(r => r.Length >= 7 && r[0] == runtime && r[6] == "0" && Tsv.Number(r[5]) > 1)
            .Select(r => Report.BytesToMib(Tsv.Number(r[5])) / (Tsv.Number(r[4]) - Tsv.Number(r[3]))));

    /// <summary>One TCP connect node to pod (connect.tsv: runtime rep t0 t1 rc), seconds.</summary>
    public Stats? Connect(string runtime) =>
        Stats.Of(_raw.Table("connect.tsv").Where(r => r.Length >= 5 && r[0] == runtime && r[4] == "0").Select(r => Tsv.Number(r[3]) - Tsv.Number(r[2])));

    /// <summary>The bytes of the largest network run, in MiB ("?" when none ran).</summary>
    public string NetMib => _raw.Table("net.tsv").Select(r => r.Length >= 6 ? Tsv.Number(r[5]) : 0).Where(double.IsFinite).DefaultIfEmpty(0).Max() is var b and > 0
        ? Math.Round(Report.BytesToMib(b)).ToString(CultureInfo.InvariantCulture)
        : "?";

    public Stats? ThroughputWithStart(string runtime) =>
        Stats.Of(GoodThroughput(runtime).Select(r => Report.BytesToMib(Tsv.Number(r[5])) / (Tsv.Number(r[4]) - Tsv.Number(r[2]))));

    public Stats? ShimRss(string runtime, string when) =>
        Stats.Of(_raw.Table("memory.tsv").Where(r => r.Length >= 3 && r[0] == runtime && r[1] == when).Select(r => Report.ToMib(Tsv.Number(r[2]))));

    public Stats? QemuRss(string when) =>
        Stats.Of(_raw.Table("memory.tsv").Where(r => r.Length >= 4 && r[0] == RawData.Sevshim && r[1] == when).Select(r => Report.ToMib(Tsv.Number(r[3]))));

    /// <summary>QEMU's RSS outside its guest RAM and TCG code buffer (scripts/bench.sh qemu_own_kib).</summary>
    public Stats? QemuOwn(string when) =>
        Stats.Of(_raw.Table("memory.tsv").Where(r => r.Length >= 6 && r[0] == RawData.Sevshim && r[1] == when && r[5].Length > 0).Select(r => Report.ToMib(Tsv.Number(r[5]))));

    /// <summary>"ok/total" of a raw table's rows of <paramref name="runtime"/>, the exit code in column <paramref name="rcColumn"/>.</summary>
    public string OkOf(string table, string runtime, int rcColumn)
    {
        var rows = _raw.Table(table).Where(r => r.Length > rcColumn && r[0] == runtime).ToArray();
        return $"{rows.Count(r => r[rcColumn] == "0")}/{rows.Length}";
    }

    /// <summary>The medians of what the overhead is made of: host phases and QEMU's boot beyond the floor.</summary>
    public string OverheadParts()
    {
        var phases = Breakdown.PhaseStats(SevshimRuns);
        double Median(string phase) => phases[Breakdown.IndexOf(phase) - 1]?.Median ?? double.NaN;
        var beforeQemu = Breakdown.Between(SevshimRuns, 0, Breakdown.IndexOf("Create until QEMU spawned"))?.Median ?? double.NaN;
        var bootExcess = Median("QEMU and guest kernel boot") - (FloorMarker?.Median ?? double.NaN);
        return string.Create(CultureInfo.InvariantCulture,
            $"ctr to QEMU spawned {beforeQemu:0.00} s (of which containerd before the start verb {Median("ctr and containerd until the start verb"):0.00} s), " +
            $"QEMU and kernel boot beyond the floor {bootExcess:0.00} s (our larger initramfs), agent handshake {Median("agent ready to the shim"):0.00} s, " +
            $"teardown of `--rm` {Median("teardown (--rm) until ctr exits"):0.00} s");
    }

    public IEnumerable<Target> Targets()
    {
        // Host-side overhead (issue 6): cold start minus the floor minus the guest-side phases
        // (guest kernel up to agent listening; agent ready to process exit: crun's work).
        var kernelUp = Breakdown.IndexOf("QEMU and guest kernel boot");
        var listening = Breakdown.IndexOf("agent start-up until listening");
        var ready = Breakdown.IndexOf("agent ready to the shim");
        var exited = Breakdown.IndexOf("process ran and exited");
        var wall = Wall(RawData.Sevshim);
        if (FloorMarker is { } floor && wall is not null)
        {
            var overhead = Stats.Of(SevshimRuns.Select(r =>
            {
                var t = Breakdown.Times(r);
                return r.Wall - floor.Median - (t[listening] - t[kernelUp]) - (t[exited] - t[ready]);
            }));
            var share = overhead is null ? double.NaN : overhead.Median / wall.Median;
            yield return new Target("shim host-side overhead <= 10% of the cold start", string.Create(CultureInfo.InvariantCulture,
                $"{overhead?.Show("0.00") ?? "n/a"} s = {share:P0} of {wall.Median:0.00} s"), overhead is null ? null : share <= 0.10);
        }
        else
        {
            yield return new Target("shim host-side overhead <= 10% of the cold start", "n/a (no floor or no sevshim run)", null);
        }

        var agentReady = Breakdown.Between(SevshimRuns, kernelUp, ready);
        var fromExec = Breakdown.Between(SevshimRuns, Breakdown.IndexOf("guest init (channel modules, root bind mount)"), ready);
        yield return new Target("agent ready <= 1.5 s after the kernel hands over (/init starts)",
            $"{agentReady?.Show("0.00") ?? "n/a"} s (from the agent's exec: {fromExec?.Show("0.00") ?? "n/a"} s)", agentReady is null ? null : agentReady.Median <= 1.5);

        var shim = ShimRss(RawData.Sevshim, "after-throughput") ?? ShimRss(RawData.Sevshim, "idle");
        yield return new Target("shim RSS <= 20 MiB per pod", $"{shim?.Show("0.0") ?? "n/a"} MiB", shim is null ? null : shim.Max <= 20);

        var tr = Throughput(RawData.Runc);
        var ts = Throughput(RawData.Sevshim);
        yield return new Target("stdout throughput >= half of runc's", string.Create(CultureInfo.InvariantCulture,
            $"{ts?.Median:0.0} vs {tr?.Median:0.0} MiB/s ({ts?.Median / tr?.Median:P0})"), tr is null || ts is null ? null : ts.Median >= tr.Median / 2);

        var er = Exec(RawData.Runc);
        var es = Exec(RawData.Sevshim);
        yield return new Target("exec latency <= 3x runc's", string.Create(CultureInfo.InvariantCulture,
            $"{es?.Median * 1000:0} vs {er?.Median * 1000:0} ms ({es?.Median / er?.Median:0.0}x)"), er is null || es is null ? null : es.Median <= 3 * er.Median);
    }

    /// <summary>
    /// The raw agent channel (raw-channel.tsv: "block_size rep first_byte end bytes rc"): MiB/s
    /// from the host's first byte to its last, per guest write size, as "size: median (min to max)".
    /// </summary>
    public IEnumerable<(string BlockSize, Stats Mibs)> RawChannel()
    {
        var groups = _raw.Table("raw-channel.tsv")
            .Where(r => r.Length >= 6 && r[5] == "0" && Tsv.Number(r[4]) > 0)
            .GroupBy(r => r[0], StringComparer.Ordinal)
            .OrderBy(g => Tsv.Number(g.Key));
        foreach (var g in groups)
        {
            if (Stats.Of(g.Select(r => Report.BytesToMib(Tsv.Number(r[4])) / (Tsv.Number(r[3]) - Tsv.Number(r[2])))) is { } mibs)
            {
                yield return (g.Key, mibs);
            }
        }
    }

    private IEnumerable<string[]> GoodThroughput(string runtime) =>
        _raw.Table("throughput.tsv").Where(r => r.Length >= 7 && r[0] == runtime && r[6] == "0" && Tsv.Number(r[5]) > 1);

    private static double Capture(string? line, System.Text.RegularExpressions.Regex regex)
    {
        if (line is null)
        {
            return double.NaN;
        }

        var match = regex.Match(line);
        return match.Success ? Tsv.Number(match.Groups[1].Value) : double.NaN;
    }
}
