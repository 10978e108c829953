namespace SevAgent.Stats;

/// <summary>The memory controller's figures; a limit of 0 means none.</summary>
internal sealed class MemoryUsage
{
    public ulong UsageBytes { get; set; }

    public ulong LimitBytes { get; set; }

    public ulong MaxUsageBytes { get; set; }

    public ulong SwapUsageBytes { get; set; }

    public ulong EventsLow { get; set; }

    public ulong EventsHigh { get; set; }

    public ulong EventsMax { get; set; }

    public ulong EventsOom { get; set; }

    public ulong EventsOomKill { get; set; }

    /// <summary>memory.stat, key by key.</summary>
    public Dictionary<string, ulong> Stat { get; } = new(StringComparer.Ordinal);
}
