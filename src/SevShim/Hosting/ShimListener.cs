using System.Net.Sockets;

namespace SevShim.Hosting;

/// <summary>
/// The pod's listening socket (SHIM-PROTOCOL 4.4 step 3): bind, chmod 0600 before listen (so no
/// one can connect while it has the umask's mode), listen. When the path is taken, a shim that
/// answers connect() already serves the pod and is reused; one that does not is stale and replaced.
/// Callers serialise on <see cref="DirectoryLock"/> so that two starts of one pod cannot both
/// decide the socket is stale.
/// </summary>
internal static class ShimListener
{
    /// <summary>A new listening socket (the caller owns it), or null when a live shim serves <paramref name="path"/>.</summary>
    public static async Task<Socket?> BindOrReuseAsync(string path, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                socket.Bind(new UnixDomainSocketEndPoint(path));
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                socket.Listen();
                return socket;
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse && attempt == 0)
            {
                socket.Dispose();
                if (await IsServingAsync(path, ct))
                {
                    return null;
                }

                File.Delete(path);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
    }

    /// <summary>True when something accepts connections on <paramref name="path"/>.</summary>
    public static async Task<bool> IsServingAsync(string path, CancellationToken ct)
    {
        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(2));
        try
        {
            await probe.ConnectAsync(new UnixDomainSocketEndPoint(path), timeout.Token);
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return false;
        }
    }
}
