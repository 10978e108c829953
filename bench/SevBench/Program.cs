using System.Globalization;
using SevBench;

// sevbench report RAW_DIR OUT_DIR: turns what scripts/bench.sh recorded into results.md,
// breakdown.svg and phases.tsv. The measuring itself is scripts/bench.sh (bash: it drives ctr,
// containerd and QEMU as a user would).
// sevbench rawread SOCKET BYTES [TIMEOUT_S]: the host end of bench.sh's raw agent channel run.
// sevbench chart RESULTS_DIR [LABEL=SECONDS ...]: redraws RESULTS_DIR/breakdown.svg from its
// phases.tsv alone (the raw recordings are not committed), with reference bars such as floor=2.49
// taken from its results.md.
if (args.Length is 3 or 4 && args[0] == "rawread")
{
    var timeout = TimeSpan.FromSeconds(args.Length == 4 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 300);
    return RawChannelReader.Run(args[1], long.Parse(args[2], CultureInfo.InvariantCulture), timeout);
}

if (args.Length >= 2 && args[0] == "chart")
{
    var (phases, runs) = SavedPhases.Load(Path.Combine(args[1], "phases.tsv"));
    var refs = args[2..].Select(a => a.Split('=', 2)).Select(p => (p[0], Tsv.Number(p.Length == 2 ? p[1] : string.Empty))).ToArray();
    if (refs.Any(r => !double.IsFinite(r.Item2)))
    {
        Console.Error.WriteLine("sevbench chart: references are LABEL=SECONDS");
        return 2;
    }

    Chart.Draw(Path.Combine(args[1], "breakdown.svg"), $"sevshim cold start by phase, medians of {runs} runs", phases, refs);
    Console.Error.WriteLine($"sevbench: wrote {args[1]}/breakdown.svg");
    return 0;
}

if (args.Length != 3 || args[0] != "report")
{
    Console.Error.WriteLine("usage: SevBench report RAW_DIR OUT_DIR | SevBench rawread SOCKET BYTES [TIMEOUT_S] | SevBench chart RESULTS_DIR [LABEL=SECONDS ...]");
    return 2;
}

var raw = RawData.Load(args[1]);
var outDir = args[2];
Directory.CreateDirectory(outDir);
var report = new Report(raw);
File.WriteAllText(Path.Combine(outDir, "results.md"), report.Markdown());
File.WriteAllText(Path.Combine(outDir, "phases.tsv"), report.PhasesTsv());
report.DrawChart(Path.Combine(outDir, "breakdown.svg"));
Console.Error.WriteLine($"sevbench: wrote {outDir}/results.md, breakdown.svg, phases.tsv");
return 0;
