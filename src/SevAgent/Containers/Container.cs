using SevAgent.Errors;

namespace SevAgent.Containers;

/// <summary>
/// One container: bundle, cgroup, processes and the guest mounts made for it. Lifecycle calls
/// hold <see cref="Gate"/> so they run one at a time per container; <see cref="State"/> and
/// <see cref="Execs"/> are also read under <see cref="Sync"/>.
/// </summary>
internal sealed class Container
{
    public Container(string id, string bundleDir, string cgroupsPath, ContainerProcess init)
    {
        Id = id;
        BundleDir = bundleDir;
        CgroupsPath = cgroupsPath;
        Init = init;
    }

    public string Id { get; }

    public string BundleDir { get; }

    /// <summary>linux.cgroupsPath, "/parent/id".</summary>
    public string CgroupsPath { get; }

    public ContainerProcess Init { get; }

    /// <summary>Serialises lifecycle calls (create, start, exec, pause, resume, update, delete).</summary>
    public SemaphoreSlim Gate { get; } = new(1, 1);

    /// <summary>Guards <see cref="State"/> and <see cref="Execs"/>.</summary>
    public Lock Sync { get; } = new();

    public ContainerState State { get; set; } = ContainerState.Created;

    /// <summary>True once `crun create` succeeded (crun knows the container).</summary>
    public bool CreatedByCrun { get; set; }

    public Dictionary<string, ContainerProcess> Execs { get; } = new(StringComparer.Ordinal);

    /// <summary>Guest mount points to undo at delete, in mount order.</summary>
    public List<string> Mounts { get; } = [];

    /// <summary>FAILED_PRECONDITION naming the state unless the container is in one of <paramref name="allowed"/>.</summary>
    public void RequireState(string action, params ContainerState[] allowed)
    {
        lock (Sync)
        {
            if (!allowed.Contains(State))
            {
                throw AgentException.FailedPrecondition($"cannot {action} container {Id}: it is {State.ToString().ToLowerInvariant()}, " +
                    $"must be {string.Join(" or ", allowed.Select(s => s.ToString().ToLowerInvariant()))}");
            }
        }
    }
}
