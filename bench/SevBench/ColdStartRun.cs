namespace SevBench;

/// <summary>One `ctr run --rm` of the benchmark, with the logs it left.</summary>
internal sealed record ColdStartRun(string Runtime, int Rep, string Id, double Start, double End, int ExitCode, ShimLog Shim, ConsoleLog Console)
{
    public bool Ok => ExitCode == 0 && double.IsFinite(Start) && double.IsFinite(End);

    public double Wall => End - Start;
}
