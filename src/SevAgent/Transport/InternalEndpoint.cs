using System.Net.Sockets;

namespace SevAgent.Transport;

/// <summary>
/// Connections to Kestrel's internal unix socket, one per host connection, so each host
/// connection is a fresh HTTP/2 connection for Kestrel. The returned socket is non-blocking and
/// owned by the caller.
/// </summary>
internal sealed class InternalEndpoint
{
    public InternalEndpoint(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public Socket Connect()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(Path));
            FdBridge.SetNonBlocking((int)socket.Handle);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
