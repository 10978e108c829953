using System.Buffers;

namespace SevShim.Io;

/// <summary>
/// Parses agent.proto's <c>OutputChunk { bytes data = 1; }</c> straight into a pooled buffer, so a
/// received chunk costs no fresh array (the generated parser makes a new ByteString per message:
/// issue #6, shim RSS per pod). The protobuf wire format (protobuf.dev "Encoding"): a message is a
/// sequence of fields, each a varint tag (field number &lt;&lt; 3 | wire type) and a value of the
/// wire type: 0 varint, 1 eight bytes, 2 varint length then that many bytes, 3 and 4 start and end
/// of a group (its fields lie between), 5 four bytes. As Google.Protobuf's generated parser does,
/// only tag 10 (field 1, length-delimited) is the data, the last occurrence wins, and every other
/// well-formed field is skipped as unknown; an absent field is empty data. Anything malformed
/// (a truncated or over-long varint, a value past the end, field number 0, wire type 6 or 7, an
/// unbalanced group, groups nested deeper than Google.Protobuf's default recursion limit) is an
/// <see cref="InvalidDataException"/>: Grpc.Net.Client then fails the call (status Internal) and
/// the pump logs it.
/// </summary>
internal static class OutputChunkCodec
{
    /// <summary>Tag of field 1 (data) with wire type 2 (length-delimited).</summary>
    internal const uint DataTag = (1 << 3) | 2;

    // Google.Protobuf's CodedInputStream.DefaultRecursionLimit.
    private const int MaxGroupDepth = 100;

    /// <summary>Parses one serialized OutputChunk into a buffer rented from <paramref name="pool"/>.</summary>
    public static PooledChunk Parse(ReadOnlySequence<byte> message, ChunkPool pool)
    {
        ArgumentNullException.ThrowIfNull(pool);
        var reader = new SequenceReader<byte>(message);
        var data = ReadOnlySequence<byte>.Empty;
        while (!reader.End)
        {
            var tag = ReadTag(ref reader);
            if (tag == DataTag)
            {
                var length = ReadLength(ref reader);
                data = message.Slice(reader.Position, length);
                reader.Advance(length);
            }
            else
            {
                SkipField(ref reader, tag, depth: 0);
            }
        }

        var size = checked((int)data.Length);
        var buffer = pool.Rent(size);
        data.CopyTo(buffer);
        return new PooledChunk(pool, buffer, size);
    }

    private static uint ReadTag(ref SequenceReader<byte> reader)
    {
        var offset = reader.Consumed;
        var tag = ReadVarint(ref reader);
        if (tag > uint.MaxValue || tag >> 3 == 0)
        {
            throw Malformed($"invalid field tag {tag} at byte {offset} (field number 0 or above 2^29-1)");
        }

        return (uint)tag;
    }

    // Skips the value of the field with tag (and, for a group, everything up to its end tag).
    private static void SkipField(ref SequenceReader<byte> reader, uint tag, int depth)
    {
        var offset = reader.Consumed;
        switch (tag & 7)
        {
            case 0:
                ReadVarint(ref reader);
                break;
            case 1:
                Skip(ref reader, 8, "fixed64 value");
                break;
            case 2:
                Skip(ref reader, ReadLength(ref reader), "length-delimited value");
                break;
            case 3:
                if (depth >= MaxGroupDepth)
                {
                    throw Malformed($"groups nested deeper than {MaxGroupDepth} at byte {offset}");
                }

                while (true)
                {
                    if (reader.End)
                    {
                        throw Malformed($"group of field {tag >> 3} not closed (input ends at byte {reader.Consumed})");
                    }

                    var inner = ReadTag(ref reader);
                    if ((inner & 7) == 4)
                    {
                        if (inner >> 3 != tag >> 3)
                        {
                            throw Malformed($"end of group {inner >> 3} inside group {tag >> 3} at byte {offset}");
                        }

                        break;
                    }

                    SkipField(ref reader, inner, depth + 1);
                }

                break;
            case 4:
                throw Malformed($"end of group {tag >> 3} outside any group at byte {offset}");
            case 5:
                Skip(ref reader, 4, "fixed32 value");
                break;
            default:
                throw Malformed($"invalid wire type {tag & 7} of field {tag >> 3} at byte {offset}");
        }
    }

    private static int ReadLength(ref SequenceReader<byte> reader)
    {
        var offset = reader.Consumed;
        var length = ReadVarint(ref reader);
        if (length > int.MaxValue || (long)length > reader.Remaining)
        {
            throw Malformed($"length {length} at byte {offset} runs past the end of the message ({reader.Remaining} bytes left)");
        }

        return (int)length;
    }

    private static void Skip(ref SequenceReader<byte> reader, int count, string what)
    {
        if (reader.Remaining < count)
        {
            throw Malformed($"truncated {what} at byte {reader.Consumed} ({count} bytes needed, {reader.Remaining} left)");
        }

        reader.Advance(count);
    }

    // A base-128 varint of at most 10 bytes (64 bits).
    private static ulong ReadVarint(ref SequenceReader<byte> reader)
    {
        var offset = reader.Consumed;
        ulong value = 0;
        for (var shift = 0; shift < 70; shift += 7)
        {
            if (!reader.TryRead(out var b))
            {
                throw Malformed($"truncated varint at byte {offset}");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        throw Malformed($"varint longer than 10 bytes at byte {offset}");
    }

    private static InvalidDataException Malformed(string detail) =>
        new($"sevshim: malformed OutputChunk from the agent (ReadStdout/ReadStderr): {detail}; the shim and the guest's agent must be built from the same agent.proto (rebuild with scripts/build.sh)");
}
