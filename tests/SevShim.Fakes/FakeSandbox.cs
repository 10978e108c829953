using System.Collections.Concurrent;
using System.Threading.Channels;
using SevShim.Errors;
using SevShim.Sandbox;

namespace SevShim.Fakes;

/// <summary>
/// An in-memory pod sandbox. It hands out pids, records every call, and reports exits when a
/// test asks for them (<see cref="ExitAsync"/>) or when a process is sent SIGKILL/SIGTERM.
/// When the init process is killed, its exit is reported BEFORE the exits of the container's
/// execs: the worst order, which the task service must reorder (init exit last).
/// </summary>
internal sealed class FakeSandbox : ISandbox
{
    private readonly FakeSandboxEventReader _events = new();
    private readonly ConcurrentDictionary<(string Container, string Exec), uint> _started = new();
    private int _nextPid = 100;

    public FakeSandbox(SandboxRequest request) => Request = request;

    public SandboxRequest Request { get; }

    public ConcurrentQueue<string> Calls { get; } = new();

    public ChannelReader<SandboxEvent> Events => _events;

    /// <summary>Thrown by CreateContainerAsync when set.</summary>
    public Exception? CreateFailure { get; set; }

    /// <summary>Returned by GetStatsAsync.</summary>
    public ContainerStats? Stats { get; set; }

    /// <summary>When set, StartContainerAsync reports this exit status for the init process and
    /// waits until the task service has handled it before returning (the exit races Start).</summary>
    public uint? ExitDuringStart { get; set; }

    /// <summary>When set, StartExecAsync makes the exec's process visible (ListPidsAsync) and then
    /// waits for this before answering: the window in which a VM has started the exec but the
    /// reply has not reached the task service.</summary>
    public TaskCompletionSource? ExecStartGate { get; set; }

    /// <summary>Thrown by StartExecAsync (after <see cref="ExecStartGate"/>) when set.</summary>
    public Exception? ExecStartFailure { get; set; }

    public bool ShutDown { get; private set; }

    public bool Disposed { get; private set; }

    /// <summary>Reports the exit of a process and waits until the task service handled it.</summary>
    public Task ExitAsync(string containerId, string execId, uint status)
    {
        var pid = _started.TryRemove((containerId, execId), out var p) ? p : 0;
        return _events.WriteAndWaitHandledAsync(new ProcessExited(containerId, execId, pid, status, DateTimeOffset.UtcNow));
    }

    public Task OomAsync(string containerId) => _events.WriteAndWaitHandledAsync(new OomKilled(containerId));

    public Task<uint> CreateContainerAsync(ContainerCreateRequest request, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"create {request.ContainerId}");
        if (CreateFailure is { } failure)
        {
            throw failure;
        }

        var pid = (uint)Interlocked.Increment(ref _nextPid);
        _started[(request.ContainerId, string.Empty)] = pid;
        return Task.FromResult(pid);
    }

    public async Task<uint> StartContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"start {containerId}");
        var pid = _started.TryGetValue((containerId, string.Empty), out var p)
            ? p
            : throw new ShimException(ShimErrorKind.NotFound, $"fake: no container {containerId}");
        if (ExitDuringStart is { } status)
        {
            await ExitAsync(containerId, string.Empty, status);
        }

        return pid;
    }

    public async Task<uint> StartExecAsync(ExecRequest request, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"exec {request.ContainerId} {request.ExecId} {request.ProcessSpecJson}");
        var pid = (uint)Interlocked.Increment(ref _nextPid);
        _started[(request.ContainerId, request.ExecId)] = pid;
        if (ExecStartGate is { } gate)
        {
            await gate.Task.WaitAsync(cancellationToken);
        }

        if (ExecStartFailure is { } failure)
        {
            _started.TryRemove((request.ContainerId, request.ExecId), out _);
            throw failure;
        }

        return pid;
    }

    public Task SignalAsync(string containerId, string execId, uint signal, bool all, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"signal {containerId} '{execId}' {signal} all={all}");
        if (signal is 9 or 15)
        {
            // Fire and forget: the exits flow through the channel like real ones.
            var victims = _started.Keys
                // Killing init kills every process of the container (its pid namespace ends).
                .Where(k => k.Container == containerId && (execId.Length == 0 || k.Exec == execId))
                .OrderBy(k => k.Exec.Length) // init (empty exec id) first: the worst order
                .ToList();
            foreach (var (container, exec) in victims)
            {
                _ = ExitAsync(container, exec, 128 + signal);
            }
        }

        return Task.CompletedTask;
    }

    public Task ResizePtyAsync(string containerId, string execId, uint width, uint height, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"resize {containerId} '{execId}' {width}x{height}");
        return Task.CompletedTask;
    }

    public Task CloseStdinAsync(string containerId, string execId, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"closestdin {containerId} '{execId}'");
        return Task.CompletedTask;
    }

    public Task PauseContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"pause {containerId}");
        return Task.CompletedTask;
    }

    public Task ResumeContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"resume {containerId}");
        return Task.CompletedTask;
    }

    public Task UpdateResourcesAsync(string containerId, string resourcesJson, IReadOnlyDictionary<string, string> annotations, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"update {containerId} {resourcesJson}");
        return Task.CompletedTask;
    }

    public Task<ContainerStats?> GetStatsAsync(string containerId, CancellationToken cancellationToken) => Task.FromResult(Stats);

    public Task<IReadOnlyList<uint>> ListPidsAsync(string containerId, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<uint>>(_started.Where(kv => kv.Key.Container == containerId).Select(kv => kv.Value).Order().ToList());

    public Task DeleteContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"delete {containerId}");
        return Task.CompletedTask;
    }

    public Task DeleteExecAsync(string containerId, string execId, CancellationToken cancellationToken)
    {
        Calls.Enqueue($"delete-exec {containerId} {execId}");
        return Task.CompletedTask;
    }

    public Task ShutdownAsync(CancellationToken cancellationToken)
    {
        ShutDown = true;
        _events.Complete();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        _events.Complete();
        return ValueTask.CompletedTask;
    }
}
