using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Ttrpc;

/// <summary>
/// The peer of a unix socket as the kernel saw it at connect time (SO_PEERCRED, struct ucred:
/// pid, uid, gid as three native-endian 32-bit integers).
/// </summary>
internal readonly record struct PeerCredentials(int Pid, int Uid, int Gid)
{
    private const int SolSocket = 1;
    private const int SoPeerCred = 17;
    private const int UcredSize = 12;

    /// <summary>Reads the credentials, or returns null when the socket has none (not AF_UNIX).</summary>
    public static PeerCredentials? TryRead(Socket socket)
    {
        Span<byte> ucred = stackalloc byte[UcredSize];
        try
        {
            // Socket.GetRawSocketOption is a plain getsockopt: no reflection, AOT-safe.
            if (socket.GetRawSocketOption(SolSocket, SoPeerCred, ucred) < UcredSize)
            {
                return null;
            }
        }
        catch (SocketException)
        {
            return null;
        }

        return new PeerCredentials(
            MemoryMarshal.Read<int>(ucred),
            MemoryMarshal.Read<int>(ucred[4..]),
            MemoryMarshal.Read<int>(ucred[8..]));
    }
}
