using System.Net.Sockets;
using System.Net.WebSockets;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// A session with containerd's CRI streaming server, as kubectl exec and attach reach it through
/// kubelet: a WebSocket on the URL that Exec or Attach returned, subprotocol
/// <c>v4.channel.k8s.io</c> (k8s.io/apiserver's wsstream, which the streaming server serves when
/// the request is a WebSocket upgrade). Every binary message starts with its channel: 0 stdin,
/// 1 stdout, 2 stderr, 3 the final status (a metav1.Status in JSON), 4 terminal resize. The
/// server listens inside the fixture's network namespace, so the socket is made there, on a
/// thread of its own that entered it and then ends.
/// </summary>
public sealed class CriStream : IAsyncDisposable
{
    private const int CloneNewNet = 0x40000000;
    private readonly ClientWebSocket _socket;
    private readonly StringBuilder _stdout = new();
    private readonly StringBuilder _stderr = new();

    private CriStream(ClientWebSocket socket) => _socket = socket;

    /// <summary>What came on stdout so far.</summary>
    public string Stdout => _stdout.ToString();

    /// <summary>What came on stderr so far.</summary>
    public string Stderr => _stderr.ToString();

    /// <summary>The status JSON of channel 3, once the process ended.</summary>
    public string? Status { get; private set; }

    /// <summary>Connects to <paramref name="url"/> from inside the network namespace <paramref name="netnsPath"/>.</summary>
    public static async Task<CriStream> ConnectAsync(string url, string netnsPath, CancellationToken cancellationToken) =>
        new(await OpenAsync(url, netnsPath, cancellationToken));

    /// <summary>A WebSocket with subprotocol v4.channel.k8s.io to <paramref name="url"/>, made inside <paramref name="netnsPath"/>.</summary>
    internal static async Task<ClientWebSocket> OpenAsync(string url, string netnsPath, CancellationToken cancellationToken)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (context, token) =>
            {
                var socket = SocketIn(netnsPath);
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("v4.channel.k8s.io");
        try
        {
            var uri = new UriBuilder(url) { Scheme = url.StartsWith("https", StringComparison.Ordinal) ? "wss" : "ws" }.Uri;
            await ws.ConnectAsync(uri, new HttpMessageInvoker(handler), cancellationToken);
            return ws;
        }
        catch
        {
            ws.Dispose();
            throw;
        }
    }

    /// <summary>One whole message (its channel byte first); null once the server closed.</summary>
    internal static async Task<byte[]?> ReceiveFrameAsync(ClientWebSocket socket, byte[] buffer, CancellationToken cancellationToken)
    {
        using var message = new MemoryStream();
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, cancellationToken);
            message.Write(buffer, 0, result.Count);
        }
        while (!result.EndOfMessage);

        return result.MessageType == WebSocketMessageType.Close ? null : message.ToArray();
    }

    /// <summary>Sends <paramref name="text"/> to the process's stdin.</summary>
    public Task SendStdinAsync(string text, CancellationToken cancellationToken) => SendAsync(0, Encoding.UTF8.GetBytes(text), cancellationToken);

    /// <summary>Tells the terminal its new size (channel 4, TerminalSize JSON).</summary>
    public Task ResizeAsync(int width, int height, CancellationToken cancellationToken) =>
        SendAsync(4, JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, int> { ["Width"] = width, ["Height"] = height }), cancellationToken);

    /// <summary>Reads until <paramref name="until"/> holds or the server closes; false on a timeout.</summary>
    public async Task<bool> ReadUntilAsync(Func<CriStream, bool> until, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[64 * 1024];
        try
        {
            while (!until(this))
            {
                var bytes = await ReceiveFrameAsync(_socket, buffer, cts.Token);
                if (bytes is null)
                {
                    return until(this);
                }

                if (bytes.Length == 0)
                {
                    continue;
                }

                var text = Encoding.UTF8.GetString(bytes, 1, bytes.Length - 1);
                switch (bytes[0])
                {
                    case 1: _stdout.Append(text); break;
                    case 2: _stderr.Append(text); break;
                    case 3: Status = (Status ?? string.Empty) + text; break;
                }
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (WebSocketException)
        {
            return until(this);
        }
    }

    /// <summary>The exit code the status reports: 0 for Success, the ExitCode cause otherwise; null before it came.</summary>
    public int? ExitCode()
    {
        if (Status is null)
        {
            return null;
        }

        using var json = JsonDocument.Parse(Status);
        var root = json.RootElement;
        if (root.TryGetProperty("status", out var s) && s.GetString() == "Success")
        {
            return 0;
        }

        if (root.TryGetProperty("details", out var details) && details.TryGetProperty("causes", out var causes))
        {
            foreach (var cause in causes.EnumerateArray())
            {
                if (cause.TryGetProperty("reason", out var reason) && reason.GetString() == "ExitCode"
                    && int.TryParse(cause.GetProperty("message").GetString(), out var code))
                {
                    return code;
                }
            }
        }

        throw new InvalidOperationException("a failure status without an exit code: " + Status);
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The server may have closed first.
        }

        _socket.Dispose();
    }

    private Task SendAsync(byte channel, byte[] payload, CancellationToken cancellationToken)
    {
        var message = new byte[payload.Length + 1];
        message[0] = channel;
        payload.CopyTo(message, 1);
        return _socket.SendAsync(message, WebSocketMessageType.Binary, true, cancellationToken);
    }

    // A socket's network namespace is its creator thread's at socket(2): make it on a thread that
    // entered the namespace, which then ends (it is never returned to a pool).
    internal static Socket SocketIn(string netnsPath, SocketType type = SocketType.Stream, ProtocolType protocol = ProtocolType.Tcp)
    {
        Socket? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var ns = File.OpenHandle(netnsPath);
                if (SetNs((int)ns.DangerousGetHandle(), CloneNewNet) != 0)
                {
                    throw new IOException($"setns({netnsPath}) failed: errno {Marshal.GetLastPInvokeError()}");
                }

                socket = new Socket(AddressFamily.InterNetwork, type, protocol);
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new IOException("no socket in " + netnsPath, error);
    }

    [DllImport("libc", EntryPoint = "setns", SetLastError = true)]
    private static extern int SetNs(int fd, int nstype);
}
