using SevBench;

// sevbench report RAW_DIR OUT_DIR: turns what scripts/bench.sh recorded into results.md,
// breakdown.png and phases.tsv. The measuring itself is scripts/bench.sh (bash: it drives ctr,
// containerd and QEMU as a user would).
if (args.Length != 3 || args[0] != "report")
{
    Console.Error.WriteLine("usage: SevBench report RAW_DIR OUT_DIR");
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
