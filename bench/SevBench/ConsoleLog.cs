namespace SevBench;

/// <summary>
/// A pod's guest console as the benchmark recorded it: "host-time TAB line" per line (the guest
/// init's "sevshim-init:" lines and the agent's "sevagent" lines), stamped on the host as QEMU
/// wrote them, so guest events share the shim log's clock.
/// </summary>
internal sealed class ConsoleLog
{
    private readonly List<LogLine> _lines;

    private ConsoleLog(List<LogLine> lines)
    {
        _lines = lines;
    }

    public IReadOnlyList<LogLine> Lines => _lines;

    public static ConsoleLog Load(string path)
    {
        var lines = new List<LogLine>();
        foreach (var record in Tsv.Read(path))
        {
            if (record.Length >= 2)
            {
                lines.Add(new LogLine(Tsv.Number(record[0]), string.Join('\t', record.Skip(1))));
            }
        }

        return new ConsoleLog(lines);
    }

    public double First(string text) =>
        _lines.FirstOrDefault(l => l.Message.Contains(text, StringComparison.Ordinal))?.Time ?? double.NaN;

    public string? FirstLine(string text) =>
        _lines.FirstOrDefault(l => l.Message.Contains(text, StringComparison.Ordinal))?.Message;
}
