using System.Globalization;
using Microsoft.Extensions.Logging;
using SevAgent.Native;
using SevRuntime.Posix;

namespace SevAgent.Guest;

/// <summary>
/// Waits until kernel modules that the guest's init loads in the background are in place.
/// </summary>
/// <remarks>
/// The guest init (guest-image/init.sh) loads only the agent channel's modules before it execs the
/// agent; the rest (/etc/modules-later, in this order: msr, 9p, overlay, virtio-net, virtio-scsi,
/// sd, ext4) load in one modprobe at nice 19 while the agent starts, which takes them off the path
/// to "agent ready" (issue 6). While modprobe runs, init keeps the marker file
/// <see cref="DefaultMarker"/>, holding modprobe's pid; it removes it when modprobe is done,
/// whatever the outcome (a module that failed then fails the operation needing it, with its own
/// error). An operation waits only for the modules it needs (<see cref="WaitForAsync"/>: the SEV
/// status read needs msr, a shared rootfs 9p, a disk virtio-scsi, sd and ext4), so a pod on the
/// 9p share never waits for the block modules. While someone waits, modprobe runs at nice 0 (at
/// nice 19 a busy vCPU could starve it); when nobody does, it goes back to nice 19, out of the
/// way of the containers. Without a marker (an agent not started by our init, or the load over)
/// there is nothing to wait for.
/// </remarks>
internal sealed class ModuleLoadGate
{
    /// <summary>The marker init.sh keeps while the background modprobe runs.</summary>
    public const string DefaultMarker = "/run/sevshim/modules.loading";

    // Polling, not inotify: a wait happens a few times per boot and lasts about a second; a 20 ms
    // poll costs nothing next to that and needs no watch descriptor.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);

    // After this long a wait is reported, with what modprobe is doing, once.
    private static readonly TimeSpan SlowAfter = TimeSpan.FromSeconds(5);

    private readonly string _marker;
    private readonly string _laterList;
    private readonly string _sysModules;
    private readonly TimeSpan _limit;
    private readonly ILogger<ModuleLoadGate> _log;
    private readonly Lazy<HashSet<string>?> _background;

    // Set once the marker has been seen absent or a wait reached the limit; never reset (init
    // never recreates the marker, and a load that outlived the limit is not waited for again).
    // Read without a lock: a stale false only costs one more File.Exists.
    private volatile bool _open;

    // Guards _waiters (and the priority changes that follow its transitions 0->1 and 1->0).
    private readonly object _sync = new();
    private int _waiters;
    private int _reportedSlow;

    public ModuleLoadGate(ILogger<ModuleLoadGate> log)
        : this(DefaultMarker, "/etc/modules-later", "/sys/module", TimeSpan.FromSeconds(60), log)
    {
    }

    public ModuleLoadGate(string marker, string laterList, string sysModules, TimeSpan limit, ILogger<ModuleLoadGate> log)
    {
        _marker = marker;
        _laterList = laterList;
        _sysModules = sysModules;
        _limit = limit;
        _log = log;
        _background = new Lazy<HashSet<string>?>(ReadLaterList);
    }

    /// <summary>Waits for the whole background load.</summary>
    public Task WaitAsync(CancellationToken cancellationToken) => WaitForAsync([], cancellationToken);

    /// <summary>
    /// Returns once each of <paramref name="modules"/> that init loads in the background is live
    /// (all of them when the list is empty or init's list cannot be read), or once the load is
    /// over, or after the limit (logged as a warning: the caller goes on and meets the missing
    /// module's own error). Names init does not load in the background are not waited for.
    /// </summary>
    public async Task WaitForAsync(IReadOnlyCollection<string> modules, CancellationToken cancellationToken)
    {
        if (_open || !File.Exists(_marker))
        {
            _open = true;
            return;
        }

        var wanted = Wanted(modules);
        if (wanted is { Count: 0 } || (wanted is not null && wanted.All(IsLive)))
        {
            return;
        }

        var started = Environment.TickCount64;
        _log.LogDebug("waiting for kernel modules {Modules} of the guest init's background load", wanted is null ? "(all)" : string.Join(' ', wanted));
        Enter();
        try
        {
            while (File.Exists(_marker) && !(wanted is not null && wanted.All(IsLive)))
            {
                if (_open)
                {
                    return; // another caller gave up at the limit
                }

                // Again on each round: the pid may not have been in the marker yet.
                SetModprobeNice(0);
                var waited = Environment.TickCount64 - started;
                if (waited > SlowAfter.TotalMilliseconds && Interlocked.Exchange(ref _reportedSlow, 1) == 0)
                {
                    _log.LogWarning("the guest's kernel modules are still loading after {Seconds} s: {Modprobe}", (int)(waited / 1000), DescribeModprobe());
                }

                if (waited > _limit.TotalMilliseconds)
                {
                    _open = true;
                    _log.LogWarning(
                        "the guest's kernel modules are still loading after {Seconds} s ({Marker} is still there: {Modprobe}); going on without them",
                        (int)_limit.TotalSeconds, _marker, DescribeModprobe());
                    return;
                }

                await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
            }

            if (!File.Exists(_marker))
            {
                _open = true;
            }

            _log.LogDebug("kernel modules ready after a wait of {Ms} ms", Environment.TickCount64 - started);
        }
        finally
        {
            Leave();
        }
    }

    private void Enter()
    {
        lock (_sync)
        {
            _waiters++;
        }
    }

    // The last waiter puts modprobe back to nice 19 (if it still runs).
    private void Leave()
    {
        lock (_sync)
        {
            if (--_waiters == 0 && File.Exists(_marker))
            {
                SetModprobeNice(19);
            }
        }
    }

    private void SetModprobeNice(int nice)
    {
        if (ModprobePid() is { } pid && LibC.setpriority(LibC.PRIO_PROCESS, pid, nice) < 0)
        {
            // ESRCH: modprobe just finished. Anything else: it keeps its priority, only slower.
            _log.LogDebug("setting modprobe (pid {Pid}) to nice {Nice} failed: {Error}", pid, nice, Posix.LastError());
        }
    }

    // The names to watch: null for "the whole load", else the wanted ones init loads in the background.
    private HashSet<string>? Wanted(IReadOnlyCollection<string> modules)
    {
        if (modules.Count == 0 || _background.Value is not { } background)
        {
            return null;
        }

        return modules.Where(background.Contains).ToHashSet(StringComparer.Ordinal);
    }

    // /sys/module/<name>/initstate reads "live" once the module's init function returned (the
    // folder itself appears earlier, while the module is still "coming").
    private bool IsLive(string module)
    {
        try
        {
            return File.ReadAllText(Path.Combine(_sysModules, module, "initstate")).Trim() == "live";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private HashSet<string>? ReadLaterList()
    {
        try
        {
            return File.ReadAllLines(_laterList).Select(l => l.Trim()).Where(l => l.Length > 0).ToHashSet(StringComparer.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.LogDebug("cannot read {List} ({Error}): waiting for the whole background module load instead", _laterList, e.Message);
            return null;
        }
    }

    private int? ModprobePid()
    {
        try
        {
            return int.TryParse(File.ReadAllText(_marker).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid > 1 ? pid : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    // "modprobe pid N, state S, in <wchan>; loaded: ..." for the warnings: what it is stuck on.
    private string DescribeModprobe()
    {
        if (ModprobePid() is not { } pid)
        {
            return "no modprobe pid in the marker";
        }

        static string Read(string path)
        {
            try
            {
                return File.ReadAllText(path).Trim();
            }
            catch (IOException)
            {
                return "?";
            }
        }

        var stat = Read($"/proc/{pid}/stat");
        var afterName = stat.LastIndexOf(')');
        var state = afterName > 0 && afterName + 2 < stat.Length ? stat[(afterName + 2)..].Split(' ')[0] : "?";
        var modules = string.Join(' ', Read("/proc/modules").Split('\n').Select(l => l.Split(' ')[0]));
        return $"modprobe pid {pid}, state {state}, in {Read($"/proc/{pid}/wchan")}; loaded: {modules}";
    }
}
