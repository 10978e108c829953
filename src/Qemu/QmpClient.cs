using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace Qemu;

/// <summary>
/// A QMP client (QEMU Machine Protocol, docs/interop/qmp-spec.rst). After the server greeting it
/// negotiates with <c>qmp_capabilities</c> (no optional capabilities, so no out-of-band
/// execution), then sends commands tagged with an "id" and matches replies by that id; events
/// go to <see cref="Events"/>.
/// Ownership: the client owns the stream it is given and disposes it in <see cref="DisposeAsync"/>.
/// One background task reads; writers are serialised by a semaphore so messages never interleave.
/// </summary>
public sealed class QmpClient : IAsyncDisposable
{
    // QEMU replies with the same "id" value it was given; a prefix keeps ours recognisable in logs.
    private const string IdPrefix = "sevshim-";

    /// <summary>
    /// The longest line QEMU may send (<see cref="QmpLineReader"/>). The largest QMP replies
    /// (query-qmp-schema, query-cpu-definitions, the query-* lists of a VM with many devices) are
    /// a few hundred KiB; 16 MiB leaves a wide margin over any, yet bounds what a peer that never
    /// sends a newline can make the shim buffer (16 MiB of bytes, up to 32 MiB as the string).
    /// </summary>
    internal const int MaxLineBytes = 16 << 20;

    private readonly Stream _stream;
    private readonly QmpLineReader _reader;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly ConcurrentDictionary<string, Pending> _pending = new(StringComparer.Ordinal);
    private readonly Channel<QmpEvent> _events = Channel.CreateUnbounded<QmpEvent>(
        new UnboundedChannelOptions { SingleReader = false, SingleWriter = true });
    private readonly CancellationTokenSource _stop = new();
    private Task _readLoop = Task.CompletedTask;
    private Exception? _closedReason;
    private long _nextId;
    private int _disposed;

    private QmpClient(Stream stream, QmpGreeting greeting, QmpLineReader reader)
    {
        _stream = stream;
        _reader = reader;
        Greeting = greeting;
    }

    /// <summary>The greeting QEMU sent (its version and offered capabilities).</summary>
    public QmpGreeting Greeting { get; }

    /// <summary>Asynchronous events in arrival order; completes when the connection ends.</summary>
    public ChannelReader<QmpEvent> Events => _events.Reader;

    /// <summary>Completes when the read loop ends (the peer closed, or the client was disposed).</summary>
    public Task Completion => _readLoop;

    /// <summary>Connects to QEMU's QMP unix socket (<c>-qmp unix:PATH,server=on,wait=off</c>) and negotiates.</summary>
    public static async Task<QmpClient> ConnectAsync(string socketPath, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), cancellationToken);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new IOException($"cannot connect to the QMP socket {socketPath}: {ex.Message} (is QEMU running with -qmp unix:{socketPath},server=on?)", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        return await StartAsync(new NetworkStream(socket, ownsSocket: true), cancellationToken);
    }

    /// <summary>
    /// Runs the QMP handshake on an already connected stream (the client takes ownership):
    /// reads the greeting, sends <c>qmp_capabilities</c> and waits for its empty return.
    /// </summary>
    public static Task<QmpClient> StartAsync(Stream stream, CancellationToken cancellationToken) =>
        StartAsync(stream, MaxLineBytes, cancellationToken);

    /// <summary><see cref="StartAsync(Stream, CancellationToken)"/> with another line bound (tests use a small one).</summary>
    internal static async Task<QmpClient> StartAsync(Stream stream, int maxLineBytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var reader = new QmpLineReader(stream, maxLineBytes);
        QmpClient? client = null;
        try
        {
            var line = await reader.ReadLineAsync(cancellationToken)
                ?? throw new QmpConnectionClosedException("QEMU closed the QMP connection before sending its greeting");
            var greeting = Decoded(line, () => ParseGreeting(line));
            client = new QmpClient(stream, greeting, reader);
            client._readLoop = Task.Run(client.ReadLoopAsync, CancellationToken.None);
            await client.ExecuteAsync("qmp_capabilities", cancellationToken);
            return client;
        }
        catch
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }
            else
            {
                await stream.DisposeAsync();
            }

            throw;
        }
    }

    /// <summary>Executes a command without arguments and returns its "return" value.</summary>
    public Task<JsonNode?> ExecuteAsync(string command, CancellationToken cancellationToken) =>
        ExecuteAsync(command, null, cancellationToken);

    /// <summary>
    /// Executes <paramref name="command"/> with <paramref name="arguments"/> and returns the
    /// "return" member of QEMU's reply (null for an empty/absent value).
    /// Throws <see cref="QmpErrorException"/> for an "error" reply (class and desc kept),
    /// <see cref="QmpConnectionClosedException"/> when the connection ends first.
    /// </summary>
    public async Task<JsonNode?> ExecuteAsync(string command, JsonObject? arguments, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var id = IdPrefix + Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture);
        var pending = new Pending(command);
        _pending[id] = pending;
        try
        {
            // Registered in _pending before reading _closedReason: either the read loop saw this
            // entry and fails it, or this thread sees the reason (both sides use full fences).
            if (Volatile.Read(ref _closedReason) is { } closed)
            {
                throw new QmpConnectionClosedException($"the QMP connection is closed; cannot run '{command}'", closed);
            }

            var payload = Serialize(command, arguments, id);
            await _writeLock.WaitAsync(cancellationToken);
            try
            {
                await _stream.WriteAsync(payload, cancellationToken);
                await _stream.FlushAsync(cancellationToken);
            }
            catch (IOException ex)
            {
                throw new QmpConnectionClosedException($"writing QMP command '{command}' failed: {ex.Message}", ex);
            }
            finally
            {
                _writeLock.Release();
            }

            return await pending.Completion.Task.WaitAsync(cancellationToken);
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync();
        await _stream.DisposeAsync();
        try
        {
            await _readLoop;
        }
        catch (OperationCanceledException)
        {
            // Expected: the read loop was cancelled by this dispose.
        }

        _stop.Dispose();
        _writeLock.Dispose();
    }

    private static byte[] Serialize(string command, JsonObject? arguments, string id)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("execute", command);
            if (arguments is not null)
            {
                writer.WritePropertyName("arguments");
                arguments.WriteTo(writer);
            }

            writer.WriteString("id", id);
            writer.WriteEndObject();
        }

        // QMP is line-oriented on the wire in practice; QEMU's parser accepts any whitespace.
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    private static QmpGreeting ParseGreeting(string line)
    {
        var root = ParseObject(line);
        if (root["QMP"] is not JsonObject qmp || qmp["version"] is not JsonObject version)
        {
            throw new QmpProtocolException($"expected a QMP greeting {{\"QMP\": {{\"version\": ...}}}}, got: {Truncate(line)}");
        }

        var caps = qmp["capabilities"] is JsonArray array
            ? array.Select(n => n?.GetValue<string>() ?? string.Empty).ToArray()
            : [];
        return new QmpGreeting(ParseVersion(version), caps);
    }

    /// <summary>Reads the QAPI VersionInfo shape: {"qemu": {"major", "minor", "micro"}, "package"}.</summary>
    internal static QemuVersionInfo ParseVersion(JsonObject version)
    {
        if (version["qemu"] is not JsonObject triple)
        {
            throw new QmpProtocolException($"QMP version info lacks \"qemu\": {Truncate(version.ToJsonString())}");
        }

        var v = new QemuVersion(
            triple["major"]?.GetValue<int>() ?? 0,
            triple["minor"]?.GetValue<int>() ?? 0,
            triple["micro"]?.GetValue<int>() ?? 0);
        var package = version["package"]?.GetValue<string>() ?? string.Empty;
        return new QemuVersionInfo(v, package.Trim());
    }

    private static JsonObject ParseObject(string line)
    {
        try
        {
            return JsonNode.Parse(line) as JsonObject
                ?? throw new QmpProtocolException($"QMP message is not a JSON object: {Truncate(line)}");
        }
        catch (JsonException ex)
        {
            throw new QmpProtocolException($"QMP message is not valid JSON ({ex.Message}): {Truncate(line)}", ex);
        }
    }

    /// <summary>
    /// Runs <paramref name="decode"/> over a message that is valid JSON but may not have QMP's
    /// shape. JsonNode throws on reading such a message lazily, with exceptions that say nothing
    /// of QMP: InvalidOperationException for a member of another type than expected (a string
    /// "event" that is a number) or a string with an unpaired surrogate escape, ArgumentException
    /// for a name set twice in one object, FormatException for a number out of range, and
    /// DateTimeOffset's ArgumentOutOfRangeException for a timestamp out of range. Each is the peer
    /// not speaking QMP: a <see cref="QmpProtocolException"/> quoting the line.
    /// </summary>
    private static T Decoded<T>(string line, Func<T> decode)
    {
        try
        {
            return decode();
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or FormatException)
        {
            throw new QmpProtocolException($"QMP message does not have QMP's shape ({ex.Message}): {Truncate(line)}", ex);
        }
    }

    private static void Decoded(string line, Action decode) => Decoded(line, () =>
    {
        decode();
        return true;
    });

    private static string Truncate(string s) => s.Length <= 200 ? s : string.Concat(s.AsSpan(0, 200), "...");

    private async Task ReadLoopAsync()
    {
        Exception reason = new QmpConnectionClosedException("QEMU closed the QMP connection");
        try
        {
            while (true)
            {
                var line = await _reader.ReadLineAsync(_stop.Token);
                if (line is null)
                {
                    break;
                }

                if (line.Length == 0)
                {
                    continue;
                }

                Decoded(line, () => Dispatch(ParseObject(line)));
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            reason = new QmpConnectionClosedException("the QMP client was disposed");
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            reason = ex is QmpProtocolException
                ? ex
                : new QmpConnectionClosedException($"the QMP connection failed: {ex.Message}", ex);
        }
        finally
        {
            Volatile.Write(ref _closedReason, reason);
            foreach (var (_, pending) in _pending)
            {
                pending.Completion.TrySetException(reason);
            }

            _events.Writer.TryComplete();
        }
    }

    private void Dispatch(JsonObject message)
    {
        if (message["event"] is JsonValue eventName)
        {
            var ts = message["timestamp"] as JsonObject;
            var seconds = ts?["seconds"]?.GetValue<long>() ?? 0;
            var micros = ts?["microseconds"]?.GetValue<long>() ?? 0;
            var when = DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(micros * 10);
            _events.Writer.TryWrite(new QmpEvent(eventName.GetValue<string>(), message["data"] as JsonObject, when));
            return;
        }

        // A reply without our id (QEMU answers JSON parse errors that way) cannot be matched;
        // our own serializer never produces such input, so it is dropped.
        if (message["id"] is not JsonValue idValue || idValue.GetValueKind() != JsonValueKind.String
            || !_pending.TryGetValue(idValue.GetValue<string>(), out var pending))
        {
            return;
        }

        if (message["error"] is JsonObject error)
        {
            pending.Completion.TrySetException(new QmpErrorException(
                pending.Command,
                error["class"]?.GetValue<string>() ?? "GenericError",
                error["desc"]?.GetValue<string>() ?? string.Empty));
            return;
        }

        // Detach the value so callers own a node without a parent.
        var result = message["return"];
        message.Remove("return");
        pending.Completion.TrySetResult(result);
    }

    private sealed class Pending(string command)
    {
        public string Command { get; } = command;

        public TaskCompletionSource<JsonNode?> Completion { get; } =
            new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
