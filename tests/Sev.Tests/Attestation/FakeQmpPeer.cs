using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;

namespace Sev.Tests.Attestation;

/// <summary>
/// A QMP peer on a unix socket that replays QEMU's documented messages (docs/interop/qmp-spec,
/// qapi/misc-i386.json): QEMU 7.2's greeting, the empty return of qmp_capabilities, and for every
/// other command the raw reply lines its handler gives (null: no answer at all, as a hung QEMU).
/// Accepts one connection. Replies echo the request's "id".
/// </summary>
internal sealed class FakeQmpPeer : IAsyncDisposable
{
    public const string Greeting =
        "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, \"package\": \"Debian 1:7.2+dfsg-7+deb12u18\"}, \"capabilities\": [\"oob\"]}}";

    private readonly DirectoryInfo _dir;
    private readonly Socket _listener;
    private readonly Func<JsonObject, IEnumerable<string>?> _handler;
    private readonly Task _serve;
    private NetworkStream? _stream;

    public FakeQmpPeer(Func<JsonObject, IEnumerable<string>?> handler, string? socketPath = null)
    {
        _dir = Directory.CreateTempSubdirectory("fakeqmp-");
        SocketPath = socketPath ?? Path.Combine(_dir.FullName, "qmp.sock");
        _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        _listener.Bind(new UnixDomainSocketEndPoint(SocketPath));
        _listener.Listen(1);
        _handler = handler;
        _serve = Task.Run(ServeAsync);
    }

    public string SocketPath { get; }

    /// <summary>Every request after qmp_capabilities, in order.</summary>
    public ConcurrentQueue<JsonObject> Received { get; } = new();

    /// <summary>The executed command names, in order.</summary>
    public IReadOnlyList<string> Commands => Received.Select(r => r["execute"]!.GetValue<string>()).ToArray();

    /// <summary>{"return": value, "id": id}.</summary>
    public static string Return(JsonObject request, string valueJson) =>
        $"{{\"return\": {valueJson}, \"id\": {request["id"]!.ToJsonString()}}}";

    /// <summary>{"id": id, "error": {"class", "desc"}}.</summary>
    public static string Error(JsonObject request, string errorClass, string desc) =>
        $"{{\"id\": {request["id"]!.ToJsonString()}, \"error\": {{\"class\": \"{errorClass}\", \"desc\": \"{desc}\"}}}}";

    /// <summary>query-sev's SevInfo as QEMU 7.2 prints it for a paused, measured SEV guest.</summary>
    public static string SevInfo(int apiMajor, int apiMinor, int buildId, uint policy, string state = "launch-secret", bool enabled = true) =>
        $"{{\"enabled\": {(enabled ? "true" : "false")}, \"api-minor\": {apiMinor}, \"handle\": 1, \"state\": \"{state}\", " +
        $"\"api-major\": {apiMajor}, \"build-id\": {buildId}, \"policy\": {policy}}}";

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        if (_stream is not null)
        {
            await _stream.DisposeAsync();
        }

        try
        {
            await _serve;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            // The peer ends when the test closes things.
        }

        _dir.Delete(recursive: true);
    }

    private static async Task WriteAsync(Stream stream, string line)
    {
        await stream.WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"));
        await stream.FlushAsync();
    }

    private async Task ServeAsync()
    {
        var socket = await _listener.AcceptAsync();
        _stream = new NetworkStream(socket, ownsSocket: true);
        await WriteAsync(_stream, Greeting);
        using var reader = new StreamReader(_stream, Encoding.UTF8, false, 4096, leaveOpen: true);
        while (await reader.ReadLineAsync() is { } line)
        {
            var request = (JsonObject)JsonNode.Parse(line)!;
            if (request["execute"]!.GetValue<string>() == "qmp_capabilities")
            {
                await WriteAsync(_stream, Return(request, "{}"));
                continue;
            }

            Received.Enqueue(request);
            foreach (var reply in _handler(request) ?? [])
            {
                await WriteAsync(_stream, reply);
            }
        }
    }
}
