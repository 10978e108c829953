namespace SevAgent.Stats;

/// <summary>pids.current and pids.max (0: no limit).</summary>
internal sealed class PidsUsage
{
    public ulong Current { get; set; }

    public ulong Limit { get; set; }
}
