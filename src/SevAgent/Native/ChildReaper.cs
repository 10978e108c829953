using Microsoft.Extensions.Logging;

namespace SevAgent.Native;

/// <summary>
/// The agent's only waitpid caller. One dedicated thread blocks in waitpid(-1) and hands each
/// exit status to whoever watches that pid: crun invocations and the container processes that
/// crun leaves behind (reparented to the agent, PID 1 or a child subreaper). Nothing else in the
/// process may reap (hence no System.Diagnostics.Process, whose SIGCHLD handling would race).
/// When there are no children (ECHILD) the thread sleeps until the next spawn instead of spinning:
/// every descendant that can be reparented to the agent descends from a child it spawned.
/// </summary>
internal sealed class ChildReaper
{
    // Bounds the exits nobody claimed (crun's short-lived helpers, orphans of containers).
    private const int MaxUnclaimed = 4096;

    private readonly ILogger _log;

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
                return Task.FromResult(status);
            }

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
            if (errno == LibC.EINTR)
            {
                continue;
            }

            if (errno != LibC.ECHILD)
            {
                _log.LogError("waitpid failed: {Error}", LibC.ErrorText(errno));
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

        tcs?.TrySetResult(status);
    }
}
