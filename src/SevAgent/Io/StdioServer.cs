using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace SevAgent.Io;

/// <summary>
/// Serves the stdio link on an internal unix socket, which the virtio-serial bridge of the
/// stdio port connects to once per host connection (as it does to Kestrel for the gRPC link).
/// A new connection means the host reconnected: the previous session is ended first, so a
/// stream is never served twice. Ownership: owns the listening socket and the current session.
/// </summary>
internal sealed class StdioServer(string socketPath, IStdioStreams streams, ILogger log) : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
    private readonly CancellationTokenSource _stop = new();

    /// <summary>The internal socket's path.</summary>
    public string SocketPath => socketPath;

    /// <summary>Binds the socket (mode 0600) and starts accepting.</summary>
    public void Start()
    {
        File.Delete(socketPath);
        _listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(socketPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        _listener.Listen(4);
        _ = AcceptAsync(_stop.Token);
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _stop.Cancel();
        _listener.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptAsync(CancellationToken token)
    {
        (CancellationTokenSource Stop, Task Run)? current = null;
        try
        {
            while (!token.IsCancellationRequested)
            {
                var socket = await _listener.AcceptAsync(token).ConfigureAwait(false);
                if (current is { } previous)
                {
                    await previous.Stop.CancelAsync().ConfigureAwait(false);
                    await previous.Run.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                    previous.Stop.Dispose();
                }

                var stop = CancellationTokenSource.CreateLinkedTokenSource(token);
                current = (stop, ServeAsync(socket, stop.Token));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopped.
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken token)
    {
        await using var link = new NetworkStream(socket, ownsSocket: true);
        log.LogDebug("stdio link: host connected");
        using var session = new StdioSession(link, streams, log);
        await session.RunAsync(token).ConfigureAwait(false);
        log.LogDebug("stdio link: host connection ended");
    }
}
