using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Qemu.Tests;

/// <summary>
/// A QMP peer on a unix socket that replays the messages QEMU documents (docs/interop/qmp-spec):
/// the greeting, "return"/"error" replies echoing the request's id, and events.
/// The handler decides the raw lines sent for each request. Accepts one connection.
/// </summary>
internal sealed class FakeQmpServer : IAsyncDisposable
{
    // Verbatim shape of QEMU 7.2's greeting as printed on this project's machines.
    public const string QemuGreeting =
        "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, \"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}, \"capabilities\": [\"oob\"]}}";

    private readonly DirectoryInfo _dir;
    private readonly Socket _listener;
    private readonly Func<JsonObject, IEnumerable<string>> _handler;
    private readonly string _greeting;
    private readonly Task _serve;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TaskCompletionSource<NetworkStream> _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeQmpServer(Func<JsonObject, IEnumerable<string>>? handler = null, string greeting = QemuGreeting)
    {
        _dir = Directory.CreateTempSubdirectory("fakeqmp-");
        SocketPath = Path.Combine(_dir.FullName, "qmp.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(1);
        _handler = handler ?? DefaultHandler;
        _greeting = greeting;
        _serve = Task.Run(ServeAsync);
    }

    public string SocketPath { get; }

    /// <summary>Every request the client sent, in order.</summary>
    public ConcurrentQueue<JsonObject> Received { get; } = new();

    /// <summary>The reply QEMU gives to a command: {"return": value, "id": id}.</summary>
    public static string Return(JsonObject request, string valueJson) =>
        $"{{\"return\": {valueJson}{IdSuffix(request)}}}";

    /// <summary>An error reply as QEMU sends it: {"id": id, "error": {"class", "desc"}}.</summary>
    public static string Error(JsonObject request, string errorClass, string desc) =>
        $"{{{IdPrefix(request)}\"error\": {{\"class\": \"{errorClass}\", \"desc\": \"{desc}\"}}}}";

    public static string Event(string name, string dataJson) =>
        $"{{\"timestamp\": {{\"seconds\": 1700000000, \"microseconds\": 250}}, \"event\": \"{name}\", \"data\": {dataJson}}}";

    /// <summary>QEMU 7.2's answers for the commands the tests use.</summary>
    public static IEnumerable<string> DefaultHandler(JsonObject request)
    {
        return request["execute"]?.GetValue<string>() switch
        {
            "qmp_capabilities" => [Return(request, "{}")],
            "query-version" => [Return(request, "{\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, \"package\": \"Debian 1:7.2+dfsg-7+deb12u18+b3\"}")],
            "query-sev-capabilities" => [Error(request, "GenericError", "KVM not enabled")],
            "quit" => [Event("SHUTDOWN", "{\"guest\": false, \"reason\": \"host-qmp-quit\"}"), Return(request, "{}")],
            var other => [Error(request, "CommandNotFound", $"The command {other} has not been found")],
        };
    }

    /// <summary>Sends a raw line (e.g. an event) to the connected client.</summary>
    public async Task SendAsync(string line)
    {
        var stream = await _connected.Task;
        await WriteAsync(stream, line);
    }

    /// <summary>Closes the client connection, as QEMU does when it exits.</summary>
    public async Task CloseClientAsync()
    {
        var stream = await _connected.Task;
        await stream.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        if (_connected.Task.IsCompleted)
        {
            await (await _connected.Task).DisposeAsync();
        }

        try
        {
            await _serve;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // The server ends when the test closes things.
        }

        _writeLock.Dispose();
        _dir.Delete(recursive: true);
    }

    private static string IdSuffix(JsonObject request) =>
        request["id"] is { } id ? ", \"id\": " + id.ToJsonString() : string.Empty;

    private static string IdPrefix(JsonObject request) =>
        request["id"] is { } id ? "\"id\": " + id.ToJsonString() + ", " : string.Empty;

    private async Task WriteAsync(Stream stream, string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\r\n");
        await _writeLock.WaitAsync();
        try
        {
            await stream.WriteAsync(bytes);
            await stream.FlushAsync();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ServeAsync()
    {
        var socket = await _listener.AcceptAsync();
        var stream = new NetworkStream(socket, ownsSocket: true);
        await WriteAsync(stream, _greeting);
        _connected.TrySetResult(stream);
        using var reader = new StreamReader(stream, Encoding.UTF8, false, 4096, leaveOpen: true);
        while (await reader.ReadLineAsync() is { } line)
        {
            var request = (JsonObject)JsonNode.Parse(line)!;
            Received.Enqueue(request);
            foreach (var reply in _handler(request))
            {
                await WriteAsync(stream, reply);
            }
        }
    }
}
