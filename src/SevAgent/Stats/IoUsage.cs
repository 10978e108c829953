namespace SevAgent.Stats;

/// <summary>io.stat, one entry per device (v2 only).</summary>
internal sealed class IoUsage
{
    public List<IoDeviceUsage> Devices { get; } = [];
}
