using System.Net;
using System.Net.Sockets;
using Netlink;
using Serilog;
using SevShim.Agent;
using SevShim.Errors;

namespace SevShim.Network;

/// <summary>
/// Makes `kubectl port-forward` reach a pod VM (issue 12 item 3, ARCHITECTURE decision 18).
/// containerd's CRI serves PortForward itself: it enters the pod's network namespace and dials
/// localhost:port, tcp4 then tcp6 (CRI.md section 1.6), where in a VM runtime nothing listens.
/// The agent reports which localhost ports of the guest accept connections (WatchListeners);
/// for each this mirrors a listener on 127.0.0.1 or ::1 of the pod's namespace, and carries
/// every accepted connection to localhost:port in the guest over the agent link (ForwardPort).
/// Loopback only: nothing outside the pod's namespace reaches these sockets, and no NAT rule,
/// route or sysctl is changed, so nothing is left behind when the shim ends; the sockets close
/// with it. A guest is not trusted with host resources: at most <see cref="MaxListeners"/>
/// ports are mirrored, and port numbers outside 1 to 65535 are ignored.
/// Ownership: owns the listening and accepted sockets and the calls; <see cref="DisposeAsync"/>
/// closes all. Lock: <see cref="_gate"/> guards <see cref="_connections"/>; the listener table
/// is touched only by the watch loop (and by dispose after that loop ended).
/// </summary>
internal sealed class LocalhostForwarder : IAsyncDisposable
{
    /// <summary>The most ports mirrored at once (each costs one or two sockets in the shim).</summary>
    public const int MaxListeners = 256;

    private const int ChunkSize = 32 * 1024;
    /// <summary>How long after a broken link the watch starts again.</summary>
    public static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HalfCloseGrace = TimeSpan.FromSeconds(5);

    private readonly string _netnsPath;
    private readonly IGuestAgent _agent;
    private readonly ILogger _log;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<GuestListener, (Socket Socket, Task Accepting)> _listeners = [];
    private readonly HashSet<GuestListener> _refused = [];
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _connections = [];
    private Task _watch = Task.CompletedTask;

    private LocalhostForwarder(string netnsPath, IGuestAgent agent, ILogger log, TimeProvider time)
    {
        _netnsPath = netnsPath;
        _agent = agent;
        _log = log;
        _time = time;
    }

    /// <summary>
    /// The watch of the guest's listeners: it ends only when the agent has no WatchListeners
    /// (port-forward is then off for the pod) or at dispose; a broken link is watched again.
    /// </summary>
    public Task Watching => _watch;

    /// <summary>
    /// Starts watching the guest's listeners. <paramref name="time"/> (the system clock by
    /// default) times the retry after a broken link and the half-close grace.
    /// </summary>
    public static LocalhostForwarder Start(string netnsPath, IGuestAgent agent, ILogger log, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(log);
        var forwarder = new LocalhostForwarder(netnsPath, agent, log, time ?? TimeProvider.System);
        forwarder._watch = forwarder.WatchAsync(forwarder._stop.Token);
        return forwarder;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _watch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var (socket, _) in _listeners.Values)
        {
            socket.Dispose();
        }

        await Task.WhenAll(_listeners.Values.Select(l => l.Accepting)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _listeners.Clear();
        Task[] open;
        lock (_gate)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task WatchAsync(CancellationToken token)
    {
        while (!token.IsCancellationRequested)
        {
            try
            {
                await foreach (var set in _agent.WatchListenersAsync(token).ConfigureAwait(false))
                {
                    await ReconcileAsync(set, token).ConfigureAwait(false);
                }
            }
            catch (ShimException ex) when (ex.Kind == ShimErrorKind.Unimplemented)
            {
                _log.Warning("the pod VM's agent has no WatchListeners (built from an older agent.proto): port-forward into this pod is off");
                return;
            }
            catch (ShimException ex) when (!token.IsCancellationRequested)
            {
                // The link broke (the VM is going away, or the agent restarted): try again until disposed.
                _log.Debug("the guest listener watch ended: {Message}", ex.Message);
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(RetryDelay, _time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task ReconcileAsync(IReadOnlyList<GuestListener> set, CancellationToken token)
    {
        var wanted = set
            .Where(l => l.Port is > 0 and <= 65535)
            .Distinct()
            .ToList();
        if (wanted.Count > MaxListeners)
        {
            _log.Warning("the pod VM listens on {Count} localhost ports; port-forward mirrors the first {Max}", wanted.Count, MaxListeners);
            wanted = [.. wanted.OrderBy(l => l.Port).ThenBy(l => l.Ipv6).Take(MaxListeners)];
        }

        var keep = wanted.ToHashSet();
        foreach (var gone in _listeners.Keys.Where(k => !keep.Contains(k)).ToList())
        {
            _listeners[gone].Socket.Dispose();
            _listeners.Remove(gone);
            _log.Debug("port-forward: localhost:{Port} ({Family}) no longer listens in the guest", gone.Port, Family(gone.Ipv6));
        }

        _refused.IntersectWith(keep);
        foreach (var key in wanted.Where(k => !_listeners.ContainsKey(k) && !_refused.Contains(k)))
        {
            try
            {
                var socket = await NetworkNamespace.RunAsync(_netnsPath, () => Listen(key), token).ConfigureAwait(false);
                _listeners[key] = (socket, AcceptAsync(socket, key, token));
                _log.Debug("port-forward: localhost:{Port} ({Family}) of {Netns} leads into the pod VM", key.Port, Family(key.Ipv6), _netnsPath);
            }
            catch (Exception ex) when (ex is SocketException or NetlinkException)
            {
                // Taken in the namespace already, or no loopback there (lo down): the port stays
                // as it is; tried again once the guest stops and starts listening.
                _refused.Add(key);
                _log.Information("port-forward: localhost:{Port} ({Family}) of {Netns} not mirrored: {Message}", key.Port, Family(key.Ipv6), _netnsPath, ex.Message);
            }
        }
    }

    // On a thread in the pod's namespace: a socket keeps the namespace it was made in.
    private static Socket Listen(GuestListener key)
    {
        var address = key.Ipv6 ? IPAddress.IPv6Loopback : IPAddress.Loopback;
        var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (key.Ipv6)
            {
                socket.DualMode = false;
            }

            socket.Bind(new IPEndPoint(address, (int)key.Port));
            socket.Listen(128);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private async Task AcceptAsync(Socket listener, GuestListener key, CancellationToken token)
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync(token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                return;
            }

            var forward = ForwardAsync(connection, key, token);
            lock (_gate)
            {
                _connections.Add(forward);
            }

            _ = forward.ContinueWith(
                done =>
                {
                    lock (_gate)
                    {
                        _connections.Remove(done);
                    }
                },
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task ForwardAsync(Socket connection, GuestListener key, CancellationToken token)
    {
        using (connection)
        {
            connection.NoDelay = true;
            using var pumps = CancellationTokenSource.CreateLinkedTokenSource(token);
            try
            {
                using var guest = await _agent.OpenPortForwardAsync(key, pumps.Token).ConfigureAwait(false);
                var up = CopyToGuestAsync(connection, guest, pumps);
                while (await guest.ReadAsync(pumps.Token).ConfigureAwait(false) is { } data)
                {
                    await connection.SendAsync(data, SocketFlags.None, pumps.Token).ConfigureAwait(false);
                }

                // The guest side is done: as containerd does, half-close and give the client a
                // moment to finish before the call goes.
                connection.Shutdown(SocketShutdown.Send);
                await Task.WhenAny(up, Task.Delay(HalfCloseGrace, _time, pumps.Token)).ConfigureAwait(false);
                await pumps.CancelAsync().ConfigureAwait(false);
                await up.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            catch (Exception ex) when (ex is ShimException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Refused in the guest, or a side went away: reset, so the client sees the failure.
                _log.Debug("port-forward to localhost:{Port} ({Family}) ended: {Message}", key.Port, Family(key.Ipv6), ex.Message);
                connection.LingerState = new LingerOption(true, 0);
            }
        }
    }

    // The client's bytes to the guest; its EOF half-closes the guest side. A client that went
    // away (reset) ends the whole forward, or an idle guest side would hold the call forever.
    private static async Task CopyToGuestAsync(Socket connection, IGuestPortStream guest, CancellationTokenSource pumps)
    {
        var buffer = new byte[ChunkSize];
        try
        {
            while (true)
            {
                var read = await connection.ReceiveAsync(buffer, SocketFlags.None, pumps.Token).ConfigureAwait(false);
                if (read == 0)
                {
                    await guest.CompleteWritesAsync().ConfigureAwait(false);
                    return;
                }

                await guest.WriteAsync(buffer.AsMemory(0, read), pumps.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is SocketException or ShimException or InvalidOperationException)
        {
            await pumps.CancelAsync().ConfigureAwait(false);
        }
    }

    private static string Family(bool ipv6) => ipv6 ? "tcp6" : "tcp4";
}
