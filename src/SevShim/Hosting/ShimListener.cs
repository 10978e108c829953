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
    public static async Task<ListeningSocket?> BindOrReuseAsync(string path, CancellationToken ct)
    {
        if (ListeningSocket.TryBind(path) is { } fresh)
        {
            return fresh;
        }

        if (await IsServingAsync(path, ct))
        {
            return null;
        }

        File.Delete(path);
        return ListeningSocket.TryBind(path)
            ?? throw new IOException($"{path} was taken again while replacing a stale socket; retry");
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
