using CsCheck;
using Fuzz.Tests.Harness;
using Google.Protobuf;
using Ttrpc;
using Ttrpc.Protocol;

namespace Fuzz.Tests.Ttrpc;

/// <summary>ttrpc byte streams: mutated seed frames (Corpus/ttrpc) and fresh frame sequences.</summary>
internal static class TtrpcFrames
{
    public const string Service = "fuzz.v1.Echo";

    private static readonly byte[][] Seeds = Corpus.Bytes("ttrpc");

    private static readonly Gen<byte[]> RequestPayload = Gen.Select(
        Gen.OneOf(Service, "nope.Svc", string.Empty, "\u00e9\ud800"),
        Gen.OneOf("Echo", "Nope", string.Empty),
        Gen.Byte.Array[0, 24],
        Gen.OneOf(0L, 1L, -1L, long.MaxValue, long.MinValue, 5_000_000_000L),
        Gen.Select(Gen.String[0, 6], Gen.String[0, 6]).Array[0, 3],
        (service, method, payload, timeout, metadata) =>
        {
            var request = new Request { Service = service, Method = method, Payload = ByteString.CopyFrom(payload), TimeoutNano = timeout };
            foreach (var (k, v) in metadata)
            {
                request.Metadata.Add(new KeyValue { Key = k, Value = v });
            }

            return request.ToByteArray();
        });

    // One frame: its length is the payload's, or a lie (shorter, longer, past the limit, 4 GiB).
    private static readonly Gen<byte[]> Frame = Gen.Select(
        Gen.Frequency((3, RequestPayload), (1, Gen.Byte.Array[0, 40])),
        Gen.Frequency((6, Gen.Const(-1L)), (1, Gen.Long[0, 64]), (1, Gen.OneOf((4L << 20) + 1, 0xFFFFFFFFL, 1L << 31, 4L << 20))),
        Gen.Frequency((4, Gen.UInt[0, 64]), (1, Gen.UInt)),
        Gen.Frequency((6, Gen.Const(FrameType.Request)), (1, Gen.Byte)),
        Gen.Frequency((6, Gen.Const((byte)0)), (1, Gen.Byte)),
        (payload, length, stream, type, flags) =>
        {
            var bytes = new byte[FrameHeader.Size + payload.Length];
            new FrameHeader(length < 0 ? (uint)payload.Length : (uint)length, stream, type, flags).Write(bytes);
            payload.CopyTo(bytes, FrameHeader.Size);
            return bytes;
        });

    private static readonly Gen<byte[]> Fresh = Gen.Select(Frame.Array[1, 5], Gen.Byte.Array[0, 3], (frames, tail) =>
        frames.SelectMany(f => f).Concat(tail).ToArray());

    /// <summary>Half mutated seeds, half fresh sequences.</summary>
    public static readonly Gen<byte[]> Streams = Gen.Frequency((1, Mutations.Bytes(Seeds)), (1, Fresh));

    /// <summary>The stream ids of the frame headers in <paramref name="bytes"/>, read as a server would (lengths followed).</summary>
    public static HashSet<uint> StreamIds(byte[] bytes)
    {
        var ids = new HashSet<uint>();
        long at = 0;
        while (at + FrameHeader.Size <= bytes.Length)
        {
            var header = FrameHeader.Read(bytes.AsSpan((int)at));
            ids.Add(header.StreamId);
            at += FrameHeader.Size + (long)header.Length;
        }

        return ids;
    }
}
