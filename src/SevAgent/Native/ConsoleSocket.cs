using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;
using SevRuntime.Posix;

namespace SevAgent.Native;

/// <summary>
/// A --console-socket for crun: a listening unix socket; crun connects once and sends the pty
/// master with SCM_RIGHTS (runtime-spec "Console socket", crun's terminal.c). The socket is
/// owned by this object and removed on dispose; the received master is owned by the caller.
/// </summary>
internal sealed class ConsoleSocket : IDisposable
{
    private readonly Socket _listener;

    public ConsoleSocket(string path)
    {
        Path = path;
        File.Delete(path);
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(path));
        _listener.Listen(1);
    }

    /// <summary>The socket path to give crun.</summary>
    public string Path { get; }

    /// <summary>Accepts crun's connection and returns the pty master it sends.</summary>
    public async Task<SafeFileHandle> ReceiveMasterAsync(CancellationToken cancellationToken)
    {
        using var connection = await _listener.AcceptAsync(cancellationToken).ConfigureAwait(false);
        // crun sends the fd right after connecting; a blocking recvmsg off the request thread.
        return await Task.Run(() => Receive(connection), cancellationToken).ConfigureAwait(false);
    }

    private static unsafe SafeFileHandle Receive(Socket connection)
    {
        var data = stackalloc byte[256];
        var control = stackalloc byte[256];
        var iov = new LibC.IoVec { Base = data, Length = 256 };
        var message = new LibC.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = 256 };
        nint received;
        do
        {
            received = LibC.recvmsg((int)connection.Handle, &message, 0x40000000 /* MSG_CMSG_CLOEXEC */);
        }
        while (received < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == Posix.EINTR);

        if (received < 0)
        {
            throw new IOException("receiving the pty master from crun failed: " + Posix.LastError());
        }

        var fds = ScmRights.ParseFds(new ReadOnlySpan<byte>(control, (int)message.ControlLength));
        if (fds.Count == 0)
        {
            throw new IOException("crun connected to the console socket but sent no file descriptor");
        }

        for (var i = 1; i < fds.Count; i++)
        {
            Posix.close(fds[i]);
        }

        return new SafeFileHandle(fds[0], ownsHandle: true);
    }

    public void Dispose()
    {
        _listener.Dispose();
        try
        {
            File.Delete(Path);
        }
        catch (IOException)
        {
            // Best effort: the bundle directory is removed with the container anyway.
        }
    }
}
