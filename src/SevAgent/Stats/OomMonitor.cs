using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using SevAgent.Native;
using SevRuntime.Posix;

namespace SevAgent.Stats;

/// <summary>
/// Turns increments of a container cgroup's oom_kill counter into <see cref="OomKill"/> events. On cgroup v2 an
/// inotify watch on memory.events wakes a dedicated thread (the kernel signals a modification of
/// that file on every event, cgroup-v2.rst "memory.events"); without busy polling. Every
/// container exit also triggers a check (that is the only trigger on a cgroup v1 host).
/// </summary>
internal sealed unsafe class OomMonitor
{
    private readonly CgroupLayout _layout;
    private readonly ILogger<OomMonitor> _log;

    // Guards the fields below.
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Watched> _byContainer = [];
    private readonly Dictionary<int, string> _byWatch = [];
    private readonly List<ChannelWriter<OomKill>> _subscribers = [];
    private int _inotify = -1;

    public OomMonitor(CgroupLayout layout, ILogger<OomMonitor> log)
    {
        _layout = layout;
        _log = log;
    }

    /// <summary>Starts watching a container's cgroup (after crun created it).</summary>
    public void Watch(string containerId, string cgroupsPath)
    {
        var count = CgroupStatsReader.ReadOomKills(_layout, cgroupsPath);
        lock (_gate)
        {
            var watch = -1;
            if (_layout.IsV2 && EnsureInotify())
            {
                watch = LibC.inotify_add_watch(_inotify, Path.Combine(_layout.Directory(cgroupsPath, "memory"), "memory.events"), LibC.IN_MODIFY);
                if (watch < 0)
                {
                    _log.LogWarning("cannot watch memory.events of {Id}: {Error}", containerId, Posix.LastError());
                }
                else
                {
                    _byWatch[watch] = containerId;
                }
            }

            _byContainer[containerId] = new Watched(cgroupsPath, watch) { Count = count };
        }
    }

    /// <summary>Re-reads the counter now and publishes what changed (called at process exits).</summary>
    public void Check(string containerId)
    {
        Watched? watched;
        lock (_gate)
        {
            if (!_byContainer.TryGetValue(containerId, out watched))
            {
                return;
            }
        }

        var count = CgroupStatsReader.ReadOomKills(_layout, watched.CgroupsPath);
        List<ChannelWriter<OomKill>> subscribers;
        lock (_gate)
        {
            if (count <= watched.Count)
            {
                return;
            }

            watched.Count = count;
            subscribers = [.. _subscribers];
        }

        _log.LogInformation("container {Id} was OOM-killed (oom_kill {Count})", containerId, count);
        var oom = new OomKill(containerId, count, DateTimeOffset.UtcNow);
        foreach (var subscriber in subscribers)
        {
            subscriber.TryWrite(oom);
        }
    }

    /// <summary>Stops watching (before the cgroup is removed).</summary>
    public void Forget(string containerId)
    {
        lock (_gate)
        {
            if (_byContainer.Remove(containerId, out var watched) && watched.Watch >= 0)
            {
                _byWatch.Remove(watched.Watch);
                LibC.inotify_rm_watch(_inotify, watched.Watch);
            }
        }
    }

    /// <summary>Subscribes a stream; dispose the result to unsubscribe.</summary>
    public ChannelReader<OomKill> Subscribe(out IDisposable subscription)
    {
        var channel = Channel.CreateBounded<OomKill>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_gate)
        {
            _subscribers.Add(channel.Writer);
        }

        subscription = new Unsubscribe(this, channel.Writer);
        return channel.Reader;
    }

    private bool EnsureInotify()
    {
        if (_inotify >= 0)
        {
            return true;
        }

        _inotify = LibC.inotify_init1(LibC.IN_CLOEXEC);
        if (_inotify < 0)
        {
            _log.LogWarning("inotify_init1 failed, OOM events only at exits: {Error}", Posix.LastError());
            return false;
        }

        var thread = new Thread(Run, 128 * 1024) { IsBackground = true, Name = "oom" };
        thread.Start();
        return true;
    }

    private void Run()
    {
        var buffer = stackalloc byte[4096];
        while (true)
        {
            var n = Posix.read(_inotify, buffer, 4096);
            if (n < 0)
            {
                if (Marshal.GetLastPInvokeError() == Posix.EINTR)
                {
                    continue;
                }

                _log.LogError("reading inotify failed, OOM events only at exits: {Error}", Posix.LastError());
                return;
            }

            // struct inotify_event { int wd; u32 mask; u32 cookie; u32 len; char name[len]; }
            var changed = new HashSet<string>();
            for (var offset = 0; offset + 16 <= n;)
            {
                var wd = *(int*)(buffer + offset);
                var len = *(uint*)(buffer + offset + 12);
                lock (_gate)
                {
                    if (_byWatch.TryGetValue(wd, out var id))
                    {
                        changed.Add(id);
                    }
                }

                offset += 16 + (int)len;
            }

            foreach (var id in changed)
            {
                Check(id);
            }
        }
    }

    private sealed class Watched(string cgroupsPath, int watch)
    {
        public string CgroupsPath { get; } = cgroupsPath;

        public int Watch { get; } = watch;

        public ulong Count { get; set; }
    }

    private sealed class Unsubscribe(OomMonitor owner, ChannelWriter<OomKill> writer) : IDisposable
    {
        public void Dispose()
        {
            lock (owner._gate)
            {
                owner._subscribers.Remove(writer);
            }
        }
    }
}
