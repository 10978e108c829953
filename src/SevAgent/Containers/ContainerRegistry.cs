using SevAgent.Errors;

namespace SevAgent.Containers;

/// <summary>
/// The agent's containers by id, shared by the lifecycle (<see cref="ContainerManager"/>) and the
/// process table (<see cref="ContainerProcesses"/>). Lock: <see cref="_gate"/> guards the map
/// only; each container has its own locks.
/// </summary>
internal sealed class ContainerRegistry
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Container> _containers = new(StringComparer.Ordinal);

    /// <summary>Adds <paramref name="container"/>; ALREADY_EXISTS when its id is taken.</summary>
    public void Add(Container container)
    {
        ArgumentNullException.ThrowIfNull(container);
        lock (_gate)
        {
            if (!_containers.TryAdd(container.Id, container))
            {
                throw AgentException.AlreadyExists($"container {container.Id} already exists: delete it first or use another id");
            }
        }
    }

    /// <summary>The container <paramref name="id"/>; NOT_FOUND when there is none.</summary>
    public Container Get(string id)
    {
        lock (_gate)
        {
            return _containers.TryGetValue(id, out var container)
                ? container
                : throw AgentException.NotFound($"container {id} not found: create it first");
        }
    }

    /// <summary>The process named by (container, exec id); NOT_FOUND names which part is unknown.</summary>
    public ContainerProcess GetProcess(string id, string execId)
    {
        var container = Get(id);
        if (execId.Length == 0)
        {
            return container.Init;
        }

        lock (container.Sync)
        {
            return container.Execs.TryGetValue(execId, out var process)
                ? process
                : throw AgentException.NotFound($"exec {execId} not found in container {id}");
        }
    }

    public void Remove(string id)
    {
        lock (_gate)
        {
            _containers.Remove(id);
        }
    }

    /// <summary>Every container now (for the agent's own stop).</summary>
    public List<Container> Snapshot()
    {
        lock (_gate)
        {
            return [.. _containers.Values];
        }
    }
}
