using Microsoft.Extensions.Logging;
using SevRuntime.Posix;

namespace SevAgent.Native;

/// <summary>
/// The agent's only waitpid caller. One dedicated thread blocks in waitpid(-1) and hands each
/// exit status to whoever watches that pid: crun invocations and the container processes that
/// crun leaves behind (reparented to the agent, PID 1 or a child subreaper). Nothing else in the
/// process may reap (hence no System.Diagnostics.Process, whose SIGCHLD handling would race).
/// When there are no children (ECHILD) the thread sleeps until the next spawn instead of spinning:
/// every descendant that can be reparented to the agent descends from a child it spawned.
/// The .NET runtime is a second reaper when the process is PID 1: its SIGCHLD handler then calls
/// waitpid(-1, WNOHANG) for every child ("pid 1 is responsible for reaping orphans", System.Native
/// pal_signal.c), and an exit it takes never reaches us, so a call waiting for that crun or
/// container process hangs (seen about once in fifteen execs in the guest). Before every spawn
/// <see cref="EnsureSoleReaper"/> puts SIGCHLD back to SIG_DFL (children still become zombies for
/// waitpid; the signal itself is discarded), which the runtime's handler would otherwise own.
/// </summary>
internal sealed class ChildReaper
{
    // Bounds the exits nobody claimed (crun's short-lived helpers, orphans of containers).
    private const int MaxUnclaimed = 4096;

    private const int SigChld = 17;
    private const nint SigDfl = 0;
    private const nint SigErr = -1;

    private readonly ILogger _log;
    private int _tookSigChld;

    // Guards every field below.
    private readonly object _gate = new();
    private readonly Dictionary<int, TaskCompletionSource<int>> _watchers = [];
    private readonly Dictionary<int, int> _unclaimed = [];
    private readonly Queue<int> _unclaimedOrder = new();
    private long _spawnGeneration;
    private Thread? _thread;

    public ChildReaper(ILogger<ChildReaper> log)
    {
        _log = log;
    }

    /// <summary>Starts the reaping thread (once).</summary>
    public void Start()
    {
        lock (_gate)
        {
            if (_thread is not null)
            {
                return;
            }

            _thread = new Thread(Run, 256 * 1024) { IsBackground = true, Name = "reaper" };
            _thread.Start();
        }
    }

    /// <summary>
    /// Makes SIGCHLD's disposition SIG_DFL so that no signal handler (the runtime's, see the class
    /// remarks) reaps our children. Call before every spawn: the runtime installs its handler when
    /// it first sets up signal handling (the host's SIGTERM registration, for one).
    /// </summary>
    public void EnsureSoleReaper()
    {
        var previous = LibC.signal(SigChld, SigDfl);
        if (previous == SigErr)
        {
            _log.LogWarning("cannot reset SIGCHLD to its default ({Error}); exits may be missed", Posix.LastError());
        }
        else if (previous != SigDfl && Interlocked.Exchange(ref _tookSigChld, 1) == 0)
        {
            _log.LogDebug("SIGCHLD handler removed: this reaper is the only waitpid caller");
        }
    }

    /// <summary>Tells the reaper a child now exists (call right after spawning).</summary>
    public void NotifySpawned()
    {
        lock (_gate)
        {
            _spawnGeneration++;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>
    /// The raw wait status of <paramref name="pid"/> once it exits. Safe to call after the child
    /// already exited: such exits are kept until claimed.
    /// </summary>
    public Task<int> WatchAsync(int pid)
    {
        lock (_gate)
        {
            if (_unclaimed.Remove(pid, out var status))
            {
                _log.LogDebug("watching pid {Pid}: it exited already", pid);
                return Task.FromResult(status);
            }

            _log.LogDebug("watching pid {Pid}", pid);

            if (!_watchers.TryGetValue(pid, out var tcs))
            {
                tcs = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
                _watchers[pid] = tcs;
            }

            return tcs.Task;
        }
    }

    /// <summary>Exit code as a shell reports it: the code, or 128 + signal when killed.</summary>
    public static int ExitCode(int status)
    {
        var signal = status & 0x7f;
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal;
    }

    private void Run()
    {
        while (true)
        {
            long generation;
            lock (_gate)
            {
                generation = _spawnGeneration;
            }

            var pid = LibC.waitpid(-1, out var status, 0);
            if (pid > 0)
            {
                Dispatch(pid, status);
                continue;
            }

            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            if (errno == Posix.EINTR)
            {
                continue;
            }

            if (errno != Posix.ECHILD)
            {
                _log.LogError("waitpid failed: {Error}", Posix.ErrorText(errno));
            }

            // No children: sleep until a spawn, re-checking if one happened since we looked.
            lock (_gate)
            {
                while (_spawnGeneration == generation)
                {
                    Monitor.Wait(_gate);
                }
            }
        }
    }

    private void Dispatch(int pid, int status)
    {
        TaskCompletionSource<int>? tcs;
        lock (_gate)
        {
            if (!_watchers.Remove(pid, out tcs))
            {
                _unclaimed[pid] = status;
                _unclaimedOrder.Enqueue(pid);
                while (_unclaimedOrder.Count > MaxUnclaimed)
                {
                    _unclaimed.Remove(_unclaimedOrder.Dequeue());
                }
            }
        }

        _log.LogDebug("reaped pid {Pid} (wait status {Status}, {Claim})", pid, status, tcs is null ? "nobody watches it yet" : "watched");
        tcs?.TrySetResult(status);
    }
}
