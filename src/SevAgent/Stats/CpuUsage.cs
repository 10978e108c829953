namespace SevAgent.Stats;

/// <summary>cpu.stat (v2; v1 has only the usage, from cpuacct.usage).</summary>
internal sealed class CpuUsage
{
    public ulong UsageUsec { get; set; }

    public ulong UserUsec { get; set; }

    public ulong SystemUsec { get; set; }

    public ulong NrPeriods { get; set; }

    public ulong NrThrottled { get; set; }

    public ulong ThrottledUsec { get; set; }
}
