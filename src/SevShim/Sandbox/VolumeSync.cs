using System.Collections.Concurrent;
using Serilog;
using SevShim.Rootfs;

namespace SevShim.Sandbox;

/// <summary>
/// Keeps the guest copies of a pod's host volumes (rootfs mode "block", ARCHITECTURE decision 16)
/// equal to the host's: each is sent whole before its container is created, then the host side is
/// checked every <see cref="Period"/> (metadata only) and sent again when it changed, so a
/// configmap, secret or projected-token update reaches the guest within two periods, as kubelet's
/// own sync reaches a runc container. Copies are one way: what the guest writes into one stays in
/// the guest. One loop per pod, no thread of its own; it ends with the pod.
/// Lock: <see cref="_tracked"/> is concurrent; sends are serialised by <see cref="_send"/> so a
/// volume's syncs reach the agent in order.
/// </summary>
internal sealed class VolumeSync : IAsyncDisposable
{
    private readonly Func<CopiedVolume, IReadOnlyList<VolumeEntry>, CancellationToken, Task> _push;
    private readonly ILogger _log;
    private readonly ConcurrentDictionary<string, Tracked> _tracked = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _send = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <param name="push">Sends one volume's content to the agent.</param>
    /// <param name="log">The pod's log.</param>
    /// <param name="period">How often the host side is checked.</param>
    public VolumeSync(Func<CopiedVolume, IReadOnlyList<VolumeEntry>, CancellationToken, Task> push, ILogger log, TimeSpan period)
    {
        _push = push;
        _log = log;
        Period = period;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>How often the host side of every copy is checked.</summary>
    public TimeSpan Period { get; }

    /// <summary>Copies a container's volumes into the guest (before the container is created) and keeps them in step.</summary>
    public async Task AddAsync(IEnumerable<GuestMountMapping> mounts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(mounts);
        foreach (var mount in mounts)
        {
            if (mount.Copy is not { } volume)
            {
                continue;
            }

            var fingerprint = HostVolumeReader.Fingerprint(volume);
            await SendAsync(volume, mount.Destination, cancellationToken).ConfigureAwait(false);
            _tracked[volume.Name] = new Tracked(volume, mount.Destination) { Fingerprint = fingerprint };
        }
    }

    /// <summary>Stops keeping the container's copies in step (the agent removes them with the container).</summary>
    public void Remove(string containerId)
    {
        foreach (var name in _tracked.Keys.Where(k => k.StartsWith(containerId + ".", StringComparison.Ordinal)))
        {
            _tracked.TryRemove(name, out _);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
        _send.Dispose();
    }

    private async Task RunAsync()
    {
        using var timer = new PeriodicTimer(Period);
        while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
        {
            foreach (var tracked in _tracked.Values)
            {
                await RefreshAsync(tracked).ConfigureAwait(false);
            }
        }
    }

    private async Task RefreshAsync(Tracked tracked)
    {
        string fingerprint;
        try
        {
            fingerprint = HostVolumeReader.Fingerprint(tracked.Volume);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The host side went away (kubelet tears the pod's volumes down after stopping it).
            return;
        }

        if (fingerprint == tracked.Fingerprint)
        {
            return;
        }

        try
        {
            await SendAsync(tracked.Volume, tracked.Destination, _stop.Token).ConfigureAwait(false);
            tracked.Fingerprint = fingerprint;
            _log.Information("volume {Source} changed on the host: its copy at {Destination} in the pod VM was updated", tracked.Volume.HostSource, tracked.Destination);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Tried again at the next period; the content is never logged (it may be a secret).
            _log.Warning("updating the copy of volume {Source} at {Destination} in the pod VM failed: {Error}", tracked.Volume.HostSource, tracked.Destination, e.Message);
        }
    }

    private async Task SendAsync(CopiedVolume volume, string destination, CancellationToken cancellationToken)
    {
        var entries = HostVolumeReader.Read(volume, destination);
        await _send.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _push(volume, entries, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _send.Release();
        }
    }

    private sealed class Tracked(CopiedVolume volume, string destination)
    {
        public CopiedVolume Volume { get; } = volume;

        public string Destination { get; } = destination;

        // Written by AddAsync before the entry is published and then only by the loop.
        public string Fingerprint { get; set; } = string.Empty;
    }
}
