using Microsoft.Extensions.Logging;

namespace SevAgent.Guest;

/// <summary>
/// Waits until the guest's init has loaded the kernel modules it loads in the background.
/// </summary>
/// <remarks>
/// The guest init (guest-image/init.sh) loads only the agent channel's modules before it execs the
/// agent; the rest (9p, virtio-scsi and ext4, overlay, msr) load at low priority while the agent
/// starts, which takes them off the path to "agent ready" (issue 6). While they load, init keeps
/// the marker file <see cref="DefaultMarker"/>; it removes it when modprobe is done, whatever the
/// outcome (a module that failed then fails the operation that needs it, with its own error).
/// Operations that need those modules (the SEV status read through /dev/cpu/0/msr, container
/// mounts) await <see cref="WaitAsync"/> first. With no marker (an agent not started by our init,
/// or the load already over) there is nothing to wait for.
/// </remarks>
internal sealed class ModuleLoadGate
{
    /// <summary>The marker init.sh keeps while the background modprobe runs.</summary>
    public const string DefaultMarker = "/run/sevshim/modules.loading";

    // Polling, not inotify: the wait happens at most once per boot and lasts about a second; a
    // 20 ms poll costs nothing next to that and needs no watch descriptor.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    private readonly string _marker;
    private readonly TimeSpan _limit;
    private readonly ILogger<ModuleLoadGate> _log;

    // Set once the marker has been seen absent; never reset (init never recreates it). Written
    // and read without a lock: a stale false only costs one more File.Exists.
    private volatile bool _open;

    public ModuleLoadGate(ILogger<ModuleLoadGate> log)
        : this(DefaultMarker, TimeSpan.FromSeconds(120), log)
    {
    }

    public ModuleLoadGate(string marker, TimeSpan limit, ILogger<ModuleLoadGate> log)
    {
        _marker = marker;
        _limit = limit;
        _log = log;
    }

    /// <summary>
    /// Returns once the background module load is over, or after the limit (logged as a warning:
    /// the caller then goes on and meets the missing module's own error).
    /// </summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        if (_open || !File.Exists(_marker))
        {
            _open = true;
            return;
        }

        var started = Environment.TickCount64;
        _log.LogDebug("waiting for the guest init's background module load ({Marker})", _marker);
        while (File.Exists(_marker))
        {
            if (Environment.TickCount64 - started > _limit.TotalMilliseconds)
            {
                _log.LogWarning(
                    "the guest's kernel modules are still loading after {Seconds} s ({Marker} is still there); going on without them",
                    (int)_limit.TotalSeconds, _marker);
                return;
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }

        _open = true;
        _log.LogDebug("guest kernel modules loaded after a wait of {Ms} ms", Environment.TickCount64 - started);
    }
}
