using System.Net.Sockets;

namespace TestSupport;

/// <summary>Two connected unix stream sockets (a listener on a temp path, removed at once), for tests of framed links.</summary>
public static class UnixSocketPair
{
    /// <summary>The connecting end and the accepted end; the caller owns both.</summary>
    public static (Socket Client, Socket Server) Create()
    {
        var path = Path.Combine(Path.GetTempPath(), $"pair-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            client.Connect(new UnixDomainSocketEndPoint(path));
            return (client, listener.Accept());
        }
        catch
        {
            client.Dispose();
            throw;
        }
        finally
        {
            File.Delete(path);
        }
    }
}
