namespace SevAgent.Stats;

/// <summary>The kernel OOM-killed a process of <see cref="ContainerId"/>; <see cref="OomKillCount"/> is the cgroup's counter since.</summary>
internal sealed record OomKill(string ContainerId, ulong OomKillCount, DateTimeOffset ObservedAt);
