using System.Collections.Concurrent;
using System.Threading.Channels;
using Serilog;
using SevShim.Agent;
using SevShim.Errors;
using SevShim.Io;

namespace SevShim.Sandbox;

/// <summary>
/// The pod's process table: every process the sandbox started in the guest (inits and execs),
/// its stdio pumps, its waiter, and the one <see cref="ProcessExited"/> each produces on
/// <see cref="Events"/>, with the guest's OOM kills. The waiter publishes an exit only after the
/// process's stdout and stderr were drained to containerd's FIFOs (bounded by the drain limit),
/// so containerd never sees an exit before the output that preceded it; the sandbox task's exit
/// waits for <c>beforeSandboxExit</c> (the pod network's teardown, issue 12 item 4).
/// Ownership: owns each tracked process's <see cref="ProcessIo"/>. Lock: none; the table is a
/// concurrent dictionary and each exit is published once (<see cref="QemuGuestProcess.TryMarkExited"/>).
/// </summary>
internal sealed class ProcessTracker
{
    /// <summary>The status of a process whose real exit is unknown because the VM went away (as containerd's runc shim reports for a process it lost).</summary>
    public const uint UnknownExitStatus = 255;

    private readonly IGuestAgent _agent;
    private readonly uint _hostPid;
    private readonly string _sandboxId;
    private readonly TimeSpan _drainLimit;
    private readonly Func<Task> _beforeSandboxExit;
    private readonly Func<Task<bool>> _vmDied;
    private readonly CancellationToken _vmGone;
    private readonly ILogger _log;
    private readonly Channel<SandboxEvent> _events = Channel.CreateUnbounded<SandboxEvent>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<GuestProcessId, QemuGuestProcess> _processes = new();

    // Releases of deleted execs still under way (each removes itself when done).
    private readonly ConcurrentDictionary<GuestProcessId, Task> _releasing = new();

    /// <param name="agent">The agent link (not owned).</param>
    /// <param name="hostPid">The pid every exit reports (QEMU's, decision 14).</param>
    /// <param name="sandboxId">The pod's sandbox container, whose init's exit ends the pod.</param>
    /// <param name="drainLimit">How long an exit waits for its output.</param>
    /// <param name="beforeSandboxExit">Runs before the sandbox init's exit is published.</param>
    /// <param name="vmDied">After a failed wait: true when the VM went away (its supervisor then publishes).</param>
    /// <param name="log">The pod's log.</param>
    /// <param name="vmGone">Cancelled once the VM is gone.</param>
    public ProcessTracker(
        IGuestAgent agent, uint hostPid, string sandboxId, TimeSpan drainLimit, Func<Task> beforeSandboxExit, Func<Task<bool>> vmDied, ILogger log, CancellationToken vmGone)
    {
        _agent = agent;
        _hostPid = hostPid;
        _sandboxId = sandboxId;
        _drainLimit = drainLimit;
        _beforeSandboxExit = beforeSandboxExit;
        _vmDied = vmDied;
        _vmGone = vmGone;
        _log = log;
    }

    /// <summary>Exits and OOM kills in the order observed; completed by <see cref="Complete"/>.</summary>
    public ChannelReader<SandboxEvent> Events => _events.Reader;

    /// <summary>The tracked process, or null.</summary>
    public QemuGuestProcess? Find(GuestProcessId id) => _processes.TryGetValue(id, out var process) ? process : null;

    /// <summary>Waits until a deleted exec with this id is forgotten by the guest (so the id can be used again).</summary>
    public Task WaitReleasedAsync(GuestProcessId id, CancellationToken cancellationToken) =>
        _releasing.TryGetValue(id, out var releasing) ? releasing.WaitAsync(cancellationToken) : Task.CompletedTask;

    /// <summary>Takes ownership of <paramref name="io"/>, starts its pumps and the process's waiter.</summary>
    public QemuGuestProcess Track(GuestProcessId id, ProcessIo io, uint guestPid)
    {
        ArgumentNullException.ThrowIfNull(io);
        var process = new QemuGuestProcess(id.ContainerId, id.ExecId, io) { Pid = guestPid };
        _processes[id] = process;
        io.Start(_agent, id, _log);
        _ = Task.Run(() => WaitForExitAsync(process));
        return process;
    }

    /// <summary>
    /// Forgets an exited exec: releases its stdio and the guest's record after the caller's reply,
    /// off the exec's latency (issue 6). Unknown ids are ignored.
    /// </summary>
    public void Forget(GuestProcessId id)
    {
        if (!_processes.TryRemove(id, out var process))
        {
            return;
        }

        var release = ReleaseExecAsync(id, process);
        _releasing[id] = release;
        _ = release.ContinueWith(done => _releasing.TryRemove(new KeyValuePair<GuestProcessId, Task>(id, done)), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
    }

    /// <summary>Releases every process of the container (after its exec releases finished). Never throws.</summary>
    public async Task ReleaseContainerAsync(string containerId)
    {
        await Task.WhenAll(_releasing.Where(r => r.Key.ContainerId == containerId).Select(r => r.Value)).ConfigureAwait(false);
        foreach (var (id, process) in _processes.Where(p => p.Key.ContainerId == containerId).ToList())
        {
            _processes.TryRemove(id, out _);
            await process.Io.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The VM went away: every process not yet reported exits with <see cref="UnknownExitStatus"/>.</summary>
    public void ExitAll()
    {
        foreach (var process in _processes.Values)
        {
            Publish(process, UnknownExitStatus, DateTimeOffset.UtcNow);
        }
    }

    /// <summary>Forwards the guest's OOM kills until the VM is gone.</summary>
    public async Task ForwardOomEventsAsync(Func<bool> shuttingDown)
    {
        ArgumentNullException.ThrowIfNull(shuttingDown);
        try
        {
            await foreach (var containerId in _agent.OomEventsAsync(_vmGone).ConfigureAwait(false))
            {
                _events.Writer.TryWrite(new OomKilled(containerId));
            }
        }
        catch (Exception ex) when (ex is ShimException or OperationCanceledException)
        {
            if (!shuttingDown() && !await _vmDied().ConfigureAwait(false))
            {
                _log.Warning("the OOM event stream from the agent ended: {Message}", ex.Message);
            }
        }
    }

    /// <summary>Ends <see cref="Events"/> (after the VM and every process are gone).</summary>
    public void Complete() => _events.Writer.TryComplete();

    private async Task WaitForExitAsync(QemuGuestProcess process)
    {
        var status = UnknownExitStatus;
        var at = DateTimeOffset.UtcNow;
        try
        {
            status = await _agent.WaitProcessAsync(new GuestProcessId(process.ContainerId, process.ExecId), _vmGone).ConfigureAwait(false);

            // The host's clock, not the guest's exited_at: containerd stamps the start with its
            // own clock, and the guest's drifts (seen under TCG: an init container "finished"
            // 100 ms before it "started" in ContainerStatus). Taken when the agent answers, the
            // exit is always after the start containerd recorded, late by one round trip.
            at = DateTimeOffset.UtcNow;
        }
        catch (Exception ex) when (ex is ShimException or OperationCanceledException)
        {
            if (await _vmDied().ConfigureAwait(false))
            {
                // The supervisor logs QEMU's death with the console tail, then publishes the exit.
                return;
            }

            _log.Warning("waiting for {Container}/{Exec} failed ({Message}); reporting exit status 255", process.ContainerId, process.ExecId, ex.Message);
        }

        if (!_vmGone.IsCancellationRequested)
        {
            await Task.WhenAny(process.Io.OutputDrained, Task.Delay(_drainLimit, _vmGone)).ConfigureAwait(false);
            if (!process.Io.OutputDrained.IsCompleted && !_vmGone.IsCancellationRequested)
            {
                _log.Warning("output of {Container}/{Exec} still open {Seconds} s after its exit (a background process holds it?); publishing the exit now", process.ContainerId, process.ExecId, _drainLimit.TotalSeconds);
            }
        }

        if (process.ContainerId == _sandboxId && process.ExecId.Length == 0)
        {
            // The sandbox task's exit lets containerd run CNI DEL: the namespace must be as CNI
            // left it by then (issue 12 item 4).
            await _beforeSandboxExit().ConfigureAwait(false);
        }

        Publish(process, status, at);
    }

    // The exec exited and its exit was published after its output drained (or the drain limit
    // passed): what its pumps still hold is a stdin FIFO and idle threads. Never throws.
    private async Task ReleaseExecAsync(GuestProcessId id, QemuGuestProcess process)
    {
        await Task.Yield();
        try
        {
            await process.Io.DisposeAsync().ConfigureAwait(false);
            if (_vmGone.IsCancellationRequested)
            {
                return;
            }

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(_vmGone);
            limit.CancelAfter(TimeSpan.FromSeconds(30));
            await _agent.DeleteProcessAsync(id, limit.Token).ConfigureAwait(false);
        }
        catch (ShimException ex) when (ex.Kind is ShimErrorKind.NotFound or ShimErrorKind.Unavailable)
        {
            _log.Debug("deleting exec {Exec} of {Container}: already gone from the guest ({Message})", id.ExecId, id.ContainerId, ex.Message);
        }
        catch (Exception ex) when (ex is ShimException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            _log.Warning("releasing exec {Exec} of {Container} failed: {Message}", id.ExecId, id.ContainerId, ex.Message);
        }
    }

    private void Publish(QemuGuestProcess process, uint status, DateTimeOffset at)
    {
        if (process.TryMarkExited())
        {
            _events.Writer.TryWrite(new ProcessExited(process.ContainerId, process.ExecId, _hostPid, status, at));
        }
    }
}
