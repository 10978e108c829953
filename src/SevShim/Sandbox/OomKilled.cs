namespace SevShim.Sandbox;

/// <summary>The container's cgroup hit its memory limit (published as /tasks/oom).</summary>
internal sealed record OomKilled(string ContainerId) : SandboxEvent(ContainerId);
