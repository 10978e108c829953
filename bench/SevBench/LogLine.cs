namespace SevBench;

/// <summary>One log line with its time in Unix seconds (host clock).</summary>
internal sealed record LogLine(double Time, string Message);
