using System.Globalization;
using SevBench;

// sevbench report RAW_DIR OUT_DIR: turns what scripts/bench.sh recorded into results.md,
// breakdown.png and phases.tsv. The measuring itself is scripts/bench.sh (bash: it drives ctr,
// containerd and QEMU as a user would).
// sevbench rawread SOCKET BYTES [TIMEOUT_S]: the host end of bench.sh's raw agent channel run.
if (args.Length is 3 or 4 && args[0] == "rawread")
{
    var timeout = TimeSpan.FromSeconds(args.Length == 4 ? double.Parse(args[3], CultureInfo.InvariantCulture) : 300);
    return RawChannelReader.Run(args[1], long.Parse(args[2], CultureInfo.InvariantCulture), timeout);
}

if (args.Length != 3 || args[0] != "report")
{
    Console.Error.WriteLine("usage: SevBench report RAW_DIR OUT_DIR | SevBench rawread SOCKET BYTES [TIMEOUT_S]");
    return 2;
}

var raw = RawData.Load(args[1]);
var outDir = args[2];
Directory.CreateDirectory(outDir);
var report = new Report(raw);
File.WriteAllText(Path.Combine(outDir, "results.md"), report.Markdown());
File.WriteAllText(Path.Combine(outDir, "phases.tsv"), report.PhasesTsv());
report.DrawChart(Path.Combine(outDir, "breakdown.png"));
Console.Error.WriteLine($"sevbench: wrote {outDir}/results.md, breakdown.png, phases.tsv");
return 0;
