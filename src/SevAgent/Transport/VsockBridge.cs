using Microsoft.Extensions.Logging;
using SevAgentProto;

namespace SevAgent.Transport;

/// <summary>
/// Serves the shim over AF_VSOCK: accepts on the port (any CID) and bridges each connection to
/// a fresh connection to Kestrel. Kestrel cannot listen on vsock itself (dotnet/aspnetcore#34050).
/// </summary>
internal sealed class VsockBridge
{
    private readonly uint _port;
    private readonly InternalEndpoint _inner;
    private readonly ILogger _log;

    public VsockBridge(uint port, InternalEndpoint inner, ILogger log)
    {
        _port = port;
        _inner = inner;
        _log = log;
    }

    /// <summary>Listens (throws when vsock is unavailable) and starts accepting on a thread.</summary>
    public void Start()
    {
        var listener = Vsock.Listen(new VsockEndPoint(VsockEndPoint.CidAny, _port));
        var thread = new Thread(() => Accept(listener), 256 * 1024) { IsBackground = true, Name = "vsock-accept" };
        thread.Start();
    }

    private void Accept(int listener)
    {
        while (true)
        {
            System.Net.Sockets.Socket outer;
            try
            {
                outer = Vsock.Accept(listener);
            }
            catch (System.Net.Sockets.SocketException e)
            {
                _log.LogError("vsock accept failed, the agent is unreachable: {Error}", e.Message);
                return;
            }

            var thread = new Thread(() => Serve(outer), 256 * 1024) { IsBackground = true, Name = "vsock-conn" };
            thread.Start();
        }
    }

    private void Serve(System.Net.Sockets.Socket outer)
    {
        using (outer)
        {
            try
            {
                using var inner = _inner.Connect();
                FdBridge.SetNonBlocking((int)outer.Handle);
                FdBridge.Run((int)outer.Handle, (int)inner.Handle);
            }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException)
            {
                _log.LogWarning("vsock connection failed: {Error}", e.Message);
            }
        }
    }
}
