using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SevBench;

/// <summary>The results page (markdown), the per-run phase table and the chart of one bench run.</summary>
internal sealed partial class Report
{
    private const double MiB = 1024 * 1024;
    private readonly RawData _raw;
    private readonly Figures _f;

    public Report(RawData raw)
    {
        _raw = raw;
        _f = new Figures(raw);
    }

    public string Markdown()
    {
        var md = new StringBuilder();
        var m = _raw.MachineValue;
        Line(md, $"# sevshim benchmark ({m("date")})");
        Line(md, string.Empty);
        Line(md, $"Machine: {m("cpu")}, {m("cores")} cores, {m("memory_mib")} MiB, Linux {m("kernel")}; {m("qemu")} under **TCG** (no usable KVM, no SEV); containerd {m("containerd")}.");
        Line(md, $"Pod VM: {m("pod_vm")}. Commit {m("commit")}. Load average (1, 5, 15 min) at start {m("load_start")}, at end {m("load_end")} (the machine is shared: expect noise).");
        Line(md, $"Runs: {m("reps")}. Figures are median (min to max) over the runs; produced by `scripts/bench.sh` (as root).");
        Line(md, string.Empty);

        Line(md, "## Cold start: `ctr run --rm IMAGE ID true` (seconds)");
        Line(md, string.Empty);
        Line(md, "| | median (min to max) | ok runs |");
        Line(md, "|---|---|---|");
        Row(md, "runc (`io.containerd.runc.v2`)", _f.Wall(RawData.Runc), "0.00", OkCount(RawData.Runc));
        Row(md, "sevshim (`io.containerd.sevshim.v2`)", _f.Wall(RawData.Sevshim), "0.00", OkCount(RawData.Sevshim));
        Row(md, "floor: bare QEMU, same kernel, machine and devices, to the /init marker", _f.FloorMarker, "0.00", $"{_f.FloorMarker?.Count ?? 0}");
        Row(md, "floor: the same until QEMU exits (poweroff)", _f.FloorExit, "0.00", $"{_f.FloorExit?.Count ?? 0}");
        Line(md, string.Empty);

        Line(md, "## sevshim cold start, phase by phase (seconds)");
        Line(md, string.Empty);
        Line(md, "Each phase ends at a log line: the shim's (containerd's log), or the guest init's and the agent's (the pod's console, stamped on the host as QEMU wrote it). ![breakdown](breakdown.svg)");
        Line(md, string.Empty);
        Line(md, "| phase (ends when) | median (min to max) |");
        Line(md, "|---|---|");
        var phases = Breakdown.PhaseStats(_f.SevshimRuns);
        for (var i = 0; i < Breakdown.Milestones.Count; i++)
        {
            Row(md, Breakdown.Milestones[i].Phase, phases[i], "0.00");
        }

        Row(md, "**total** (`ctr run` to exit)", _f.Wall(RawData.Sevshim), "0.00");
        Row(md, "guest kernel boot as the guest counts it (uptime at /init)", _f.GuestKernelUptime, "0.00");
        Row(md, "agent start-up as the agent counts it (its `serving on ... after N ms`)", _f.AgentSelfStart, "0.00");
        Row(md, "first output: process started until ctr reads the first stdout byte (`echo` runs)", _f.FirstOutput, "0.000");
        Line(md, string.Empty);

        Line(md, "## Exec, throughput, memory, density");
        Line(md, string.Empty);
        Line(md, "| | runc | sevshim |");
        Line(md, "|---|---|---|");
        Pair(md, "`ctr task exec` of `true` (ms)", _f.Exec(RawData.Runc), _f.Exec(RawData.Sevshim), "0", 1000);
        Line(md, $"| execs ok (a failed one timed out: the known in-guest agent hang; its pod was replaced) | {_f.OkOf("exec.tsv", RawData.Runc, 4)} | {_f.OkOf("exec.tsv", RawData.Sevshim, 4)} |");
        Line(md, $"| throughput runs ok | {_f.OkOf("throughput.tsv", RawData.Runc, 6)} | {_f.OkOf("throughput.tsv", RawData.Sevshim, 6)} |");
        Pair(md, $"stdout throughput, first byte to EOF (MiB/s, {_f.ThroughputMib} MiB via `head -c` to ctr's stdout)", _f.Throughput(RawData.Runc), _f.Throughput(RawData.Sevshim), "0.0");
        Pair(md, "stdout throughput including the exec's start (MiB/s)", _f.ThroughputWithStart(RawData.Runc), _f.ThroughputWithStart(RawData.Sevshim), "0.0");
        Pair(md, "shim RSS, idle pod (MiB)", _f.ShimRss(RawData.Runc, "idle"), _f.ShimRss(RawData.Sevshim, "idle"), "0.0");
        Pair(md, "shim RSS after the throughput runs (MiB)", _f.ShimRss(RawData.Runc, "after-throughput"), _f.ShimRss(RawData.Sevshim, "after-throughput"), "0.0");
        Pair(md, "QEMU RSS, idle pod / after throughput (MiB)", null, _f.QemuRss("idle"), "0.0", suffix: _f.QemuRss("after-throughput") is { } q ? " / " + q.Show("0.0") : string.Empty);
        Pair(md, "QEMU's own memory: RSS outside guest RAM and TCG's code buffer, idle / after throughput (MiB; with the shim's, what RuntimeClass overhead adds to vm.memory_mib)", null, _f.QemuOwn("idle"), "0.0", suffix: _f.QemuOwn("after-throughput") is { } o ? " / " + o.Show("0.0") : string.Empty);
        Pair(md, "guest agent RSS at power-off (MiB; all pods)", null, _f.AgentRss, "0.0");
        Pair(md, "guest agent peak RSS, VmHWM (MiB; all pods)", null, _f.AgentHwm, "0.0");
        foreach (var d in _f.Density)
        {
            Line(md, d);
        }

        Line(md, string.Empty);
        if (_raw.Table("net.tsv").Count + _raw.Table("connect.tsv").Count > 0)
        {
            Line(md, "## Pod network: TCP between the pod and the node");
            Line(md, string.Empty);
            Line(md, "A veth pair made by the run (eth0 in the pod's namespace, given to `ctr run --with-ns`; MTU 1500), as CNI's bridge plugin leaves one; with sevshim it reaches the VM through a tap and tc redirects (ARCHITECTURE decision 17).");
            Line(md, string.Empty);
            Line(md, "| | runc | sevshim |");
            Line(md, "|---|---|---|");
            Pair(md, $"TCP pod to node, first byte to EOF (MiB/s; {_f.NetMib} MiB of `head -c` into busybox nc)", _f.NetThroughput(RawData.Runc), _f.NetThroughput(RawData.Sevshim), "0.0");
            Pair(md, "TCP connect node to pod (ms; one `busybox nc` each that connects and closes, its process start included)", _f.Connect(RawData.Runc), _f.Connect(RawData.Sevshim), "0.0", 1000);
            Line(md, $"| network runs ok (transfers; connects) | {_f.OkOf("net.tsv", RawData.Runc, 6)}; {_f.OkOf("connect.tsv", RawData.Runc, 4)} | {_f.OkOf("net.tsv", RawData.Sevshim, 6)}; {_f.OkOf("connect.tsv", RawData.Sevshim, 4)} |");
            Line(md, string.Empty);
        }

        var rawChannel = _f.RawChannel().ToArray();
        if (rawChannel.Length == 0)
        {
            Line(md, "Raw agent channel alone: not measured (no raw-channel.tsv: the floor boot was skipped or failed).");
        }
        else
        {
            Line(md, string.Empty);
            Line(md, "Raw agent channel alone: the pod's QEMU command line (as for the floor) booting an initramfs whose /init only loads virtio_console and runs " +
                $"`dd if=/dev/zero of=/dev/vportNpM` ({_f.ThroughputMib} MiB) into the agent's port, read on the host from the chardev socket; first byte to last. The ceiling for stdout through this channel.");
            Line(md, string.Empty);
            Line(md, "| guest write size (bytes) | MiB/s, median (min to max) | runs |");
            Line(md, "|---|---|---|");
            foreach (var (size, mibs) in rawChannel)
            {
                Line(md, $"| {size} | {mibs.Show("0")} | {mibs.Count} |");
            }
        }
        Line(md, string.Empty);
        Line(md, "## Targets (issue 6)");
        Line(md, string.Empty);
        Line(md, "The shim's host-side overhead is the cold start minus the floor minus the guest-side phases (guest kernel up to agent listening, agent ready to process exit). " +
            "What remains: " + _f.OverheadParts() + ".");
        Line(md, string.Empty);
        Line(md, "| target | measured | met |");
        Line(md, "|---|---|---|");
        foreach (var t in _f.Targets())
        {
            Line(md, $"| {t.Name} | {t.Measured} | {(t.Met is null ? "?" : t.Met.Value ? "yes" : "**no**")} |");
        }

        return md.ToString();
    }

    public string PhasesTsv()
    {
        var sb = new StringBuilder();
        Line(sb, "id\trep\twall\t" + string.Join('\t', Breakdown.Milestones.Select(x => x.Phase)));
        foreach (var run in _f.SevshimRuns)
        {
            var t = Breakdown.Times(run);
            Line(sb, $"{run.Id}\t{run.Rep}\t{run.Wall:0.000}\t" + string.Join('\t', t.Skip(1).Select(x => (x - t[0]).ToString("0.000", CultureInfo.InvariantCulture))));
        }

        return sb.ToString();
    }

    public void DrawChart(string path)
    {
        var phases = Breakdown.PhaseStats(_f.SevshimRuns);
        var bars = Breakdown.Milestones.Select((m, i) => (m.Phase, phases[i]?.Median ?? 0)).ToArray();
        var refs = new List<(string, double)>();
        if (_f.FloorMarker is { } floor)
        {
            refs.Add(("floor", floor.Median));
        }

        if (_f.Wall(RawData.Runc) is { } runc)
        {
            refs.Add(("runc", runc.Median));
        }

        Chart.Draw(path, $"sevshim cold start by phase, medians of {_f.SevshimRuns.Count} runs ({_raw.MachineValue("cores")} cores, TCG)", bars, refs);
    }

    private string OkCount(string runtime)
    {
        var all = _raw.ColdStarts.Where(r => r.Runtime == runtime).ToArray();
        return $"{all.Count(r => r.Ok)}/{all.Length}";
    }

    private static void Row(StringBuilder md, string name, Stats? s, string format, string? extra = null) =>
        Line(md, $"| {name} | {s?.Show(format) ?? "n/a"} |" + (extra is null ? string.Empty : $" {extra} |"));

    private static void Pair(StringBuilder md, string name, Stats? runc, Stats? sevshim, string format, double scale = 1, string suffix = "") =>
        Line(md, $"| {name} | {runc?.Show(format, scale) ?? "n/a"} | {(sevshim?.Show(format, scale) ?? "n/a") + suffix} |");

    private static void Line(StringBuilder sb, string text) => sb.Append(text).Append('\n');

    internal static double ToMib(double kib) => kib / 1024;

    internal static double BytesToMib(double bytes) => bytes / MiB;

    [GeneratedRegex(@"VmRSS (\d+) kB, VmHWM (\d+) kB")]
    internal static partial Regex AgentMemory();

    [GeneratedRegex(@"stage1 at ([0-9.]+)s")]
    internal static partial Regex Stage1Uptime();

    [GeneratedRegex(@"serving on .* after (\d+) ms")]
    internal static partial Regex AgentServing();
}
