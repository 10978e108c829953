namespace SevBench;

/// <summary>Everything one scripts/bench.sh run recorded (its raw folder).</summary>
internal sealed class RawData
{
    public const string Sevshim = "io.containerd.sevshim.v2";
    public const string Runc = "io.containerd.runc.v2";

    private RawData(string dir)
    {
        Dir = dir;
        Machine = Tsv.Read(Path.Combine(dir, "machine.tsv"))
            .Where(r => r.Length >= 2)
            .GroupBy(r => r[0], StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.Ordinal);
        Shim = ShimLog.Load(Path.Combine(dir, "containerd.log"));
        ColdStarts = Tsv.Read(Path.Combine(dir, "coldstart.tsv"))
            .Where(r => r.Length >= 6)
            .Select(r => new ColdStartRun(r[0], (int)Tsv.Number(r[1]), r[2], Tsv.Number(r[3]), Tsv.Number(r[4]), (int)Tsv.Number(r[5]), Shim, ConsoleOf(r[2])))
            .ToArray();
    }

    public string Dir { get; }

    public IReadOnlyDictionary<string, string> Machine { get; }

    public ShimLog Shim { get; }

    public IReadOnlyList<ColdStartRun> ColdStarts { get; }

    public static RawData Load(string dir) => new(dir);

    public IReadOnlyList<string[]> Table(string name) => Tsv.Read(Path.Combine(Dir, name));

    public ConsoleLog ConsoleOf(string id) => ConsoleLog.Load(Path.Combine(Dir, $"console-{id}.log"));

    /// <summary>The consoles of every pod of the run (cold starts, exec pod).</summary>
    public IEnumerable<ConsoleLog> Consoles() =>
        Directory.EnumerateFiles(Dir, "console-*.log").Order(StringComparer.Ordinal).Select(ConsoleLog.Load);

    public string MachineValue(string key) => Machine.TryGetValue(key, out var v) ? v : "?";
}
