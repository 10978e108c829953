using System.Net.Sockets;
using Google.Protobuf;
using Ttrpc.Protocol;

namespace Ttrpc.Tests;

/// <summary>A unix socket speaking raw frames, for malformed input the real client never sends.</summary>
internal sealed class RawConnection : IDisposable
{
    private readonly NetworkStream _stream;
    private readonly FrameReader _reader;

    private RawConnection(Socket socket)
    {
        Socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = new FrameReader(_stream, TtrpcServerOptions.DefaultMaxMessageSize);
    }

    public Socket Socket { get; }

    public static async Task<RawConnection> ConnectAsync(string path)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
        return new RawConnection(socket);
    }

    public static byte[] Frame(uint streamId, byte type, ReadOnlySpan<byte> payload, uint? length = null)
    {
        var bytes = new byte[FrameHeader.Size + payload.Length];
        new FrameHeader(length ?? (uint)payload.Length, streamId, type, 0).Write(bytes);
        payload.CopyTo(bytes.AsSpan(FrameHeader.Size));
        return bytes;
    }

    public static byte[] RequestFrame(uint streamId, string method, IMessage payload, long timeoutNano = 0) =>
        Frame(streamId, FrameType.Request, new Request
        {
            Service = FakeService.Name,
            Method = method,
            Payload = payload.ToByteString(),
            TimeoutNano = timeoutNano,
        }.ToByteArray());

    public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes).AsTask().WaitAsync(TestServer.Patience);

    /// <summary>Reads the next Response frame (null at end of stream).</summary>
    public async Task<(FrameHeader Header, Response Response)?> ReceiveAsync()
    {
        var frame = await _reader.ReadAsync(CancellationToken.None).AsTask().WaitAsync(TestServer.Patience);
        return frame is { } f ? (f.Header, Response.Parser.ParseFrom(f.Payload)) : null;
    }

    public void Dispose() => _stream.Dispose();
}
