namespace SevAgent.Stats;

/// <summary>
/// Where a container's cgroup lives. The guest mounts cgroup v2 at /sys/fs/cgroup (unified); a
/// development host running the agent for component tests may still be cgroup v1, where each
/// controller has its own hierarchy, so the few v1 figures are read from there.
/// </summary>
internal sealed class CgroupLayout
{
    public CgroupLayout(string root = "/sys/fs/cgroup")
    {
        Root = root;
    }

    public string Root { get; }

    /// <summary>True for the unified hierarchy (cgroup.controllers exists at the root).</summary>
    public bool IsV2 => File.Exists(Path.Combine(Root, "cgroup.controllers"));

    /// <summary>The directory of <paramref name="cgroupsPath"/> ("/parent/id") for a controller (v1) or the unified tree (v2).</summary>
    public string Directory(string cgroupsPath, string v1Controller) =>
        IsV2 ? Root + cgroupsPath : Path.Combine(Root, v1Controller) + cgroupsPath;
}
