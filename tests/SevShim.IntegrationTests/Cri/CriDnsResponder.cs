using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// A DNS server of the test's own for the pods' DNS config (a fake: it answers A queries for the
/// names it was given and nothing else, RFC 1035 section 4 message format), on UDP port 53 of an
/// address in the fixture's network namespace, so a pod's lookups never leave it. Other names
/// get NXDOMAIN; AAAA and other types an empty answer.
/// </summary>
public sealed class CriDnsResponder : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly IReadOnlyDictionary<string, IPAddress> _names;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private CriDnsResponder(Socket socket, IReadOnlyDictionary<string, IPAddress> names)
    {
        _socket = socket;
        _names = names;
        _loop = ServeAsync(_stop.Token);
    }

    /// <summary>Queries answered so far.</summary>
    public int Queries { get; private set; }

    /// <summary>Serves <paramref name="names"/> (lower-case, no trailing dot) on <paramref name="address"/>:53 inside <paramref name="netnsPath"/>.</summary>
    public static CriDnsResponder Start(string netnsPath, IPAddress address, IReadOnlyDictionary<string, IPAddress> names)
    {
        var socket = CriStream.SocketIn(netnsPath, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            socket.Bind(new IPEndPoint(address, 53));
            return new CriDnsResponder(socket, names);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task ServeAsync(CancellationToken token)
    {
        var buffer = new byte[512];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        while (!token.IsCancellationRequested)
        {
            var got = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, token);
            if (Answer(buffer.AsSpan(0, got.ReceivedBytes)) is { } reply)
            {
                Queries++;
                await _socket.SendToAsync(reply, SocketFlags.None, got.RemoteEndPoint, token);
            }
        }
    }

    // Header (12 bytes), one question (labels, type, class); the answer points back at the name.
    private byte[]? Answer(ReadOnlySpan<byte> query)
    {
        if (query.Length < 17 || BinaryPrimitives.ReadUInt16BigEndian(query[4..]) != 1)
        {
            return null;
        }

        var name = new StringBuilder();
        var at = 12;
        while (at < query.Length && query[at] != 0)
        {
            var length = query[at];
            if (length > 63 || at + 1 + length >= query.Length)
            {
                return null;
            }

            name.Append(name.Length > 0 ? "." : string.Empty).Append(Encoding.ASCII.GetString(query.Slice(at + 1, length)));
            at += 1 + length;
        }

        var questionEnd = at + 5;
        if (questionEnd > query.Length)
        {
            return null;
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(query[(at + 1)..]);
        var known = _names.TryGetValue(name.ToString().ToLowerInvariant(), out var address);
        var answer = known && type == 1 ? address!.GetAddressBytes() : null;
        var reply = new byte[questionEnd + (answer is null ? 0 : 16)];
        query[..questionEnd].CopyTo(reply);
        var rd = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(query[2..]) & 0x0100);
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(2), (ushort)(0x8080 | rd | (known ? 0 : 3)));
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(6), (ushort)(answer is null ? 0 : 1));
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(8), 0);
        BinaryPrimitives.WriteUInt16BigEndian(reply.AsSpan(10), 0);
        if (answer is not null)
        {
            var a = reply.AsSpan(questionEnd);
            BinaryPrimitives.WriteUInt16BigEndian(a, 0xC00C);
            BinaryPrimitives.WriteUInt16BigEndian(a[2..], 1);
            BinaryPrimitives.WriteUInt16BigEndian(a[4..], 1);
            BinaryPrimitives.WriteUInt32BigEndian(a[6..], 60);
            BinaryPrimitives.WriteUInt16BigEndian(a[10..], 4);
            answer.CopyTo(a[12..]);
        }

        return reply;
    }
}
