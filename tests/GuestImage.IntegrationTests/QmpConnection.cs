using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace GuestImage.IntegrationTests;

/// <summary>
/// A minimal QMP client for the tests (QEMU's docs/interop/qmp-spec: a greeting, then
/// `qmp_capabilities`, then one JSON object a line; asynchronous events are interleaved with
/// replies and are skipped here). Owns its socket; not thread-safe (one command at a time).
/// </summary>
internal sealed class QmpConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly StreamReader _reader;
    private readonly StreamWriter _writer;

    private QmpConnection(Socket socket)
    {
        _socket = socket;
        var stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new StreamReader(stream, Encoding.UTF8);
        _writer = new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
    }

    public static async Task<QmpConnection> ConnectAsync(string path, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellationToken);
            var qmp = new QmpConnection(socket);
            var greeting = await qmp.ReadObjectAsync(cancellationToken);
            if (!greeting.RootElement.TryGetProperty("QMP", out _))
            {
                throw new InvalidOperationException($"QMP greeting expected on {path}, got {greeting.RootElement}");
            }

            greeting.Dispose();
            await qmp.ExecuteAsync("qmp_capabilities", cancellationToken);
            return qmp;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Runs one command and returns its "return" value as JSON text; a QMP error throws.</summary>
    public async Task<string> ExecuteAsync(string command, CancellationToken cancellationToken)
    {
        await _writer.WriteLineAsync(JsonSerializer.Serialize(new Dictionary<string, string> { ["execute"] = command }));
        while (true)
        {
            using var reply = await ReadObjectAsync(cancellationToken);
            var root = reply.RootElement;
            if (root.TryGetProperty("return", out var value))
            {
                return value.GetRawText();
            }

            if (root.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException($"QMP {command} failed: {error.GetRawText()}");
            }

            // An event ({"event": ...}): not the reply, keep reading.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _writer.DisposeAsync();
        _reader.Dispose();
        _socket.Dispose();
    }

    private async Task<JsonDocument> ReadObjectAsync(CancellationToken cancellationToken)
    {
        var line = await _reader.ReadLineAsync(cancellationToken)
            ?? throw new IOException("QMP connection closed by QEMU");
        return JsonDocument.Parse(line);
    }
}
