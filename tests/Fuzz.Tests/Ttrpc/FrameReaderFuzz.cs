using CsCheck;
using Fuzz.Tests.Harness;
using Ttrpc;
using Xunit.Abstractions;

namespace Fuzz.Tests.Ttrpc;

/// <summary>
/// Target 1a: <see cref="FrameReader"/> on random and mutated byte streams, read whole or a few
/// bytes per read, with a small and the default size limit. Each stream gives frames whose
/// payload is exactly the announced length (or, past the limit, is dropped) and then a clean end
/// or EndOfStreamException; a frame never allocates more than the limit.
/// </summary>
public sealed class FrameReaderFuzz(ITestOutputHelper output)
{
    private static readonly int[] Limits = [16, 4096, TtrpcServerOptions.DefaultMaxMessageSize];

    [Fact]
    public Task Frames_or_a_clean_end_of_stream() => Fuzzer.RunAsync(
        new FuzzTarget<(byte[] Bytes, int Limit, int Step)>(
            "ttrpc frame reader",
            Gen.Select(TtrpcFrames.Streams, Gen.OneOf(Limits), Gen.Frequency((3, Gen.Const(int.MaxValue)), (1, Gen.Int[1, 11]))),
            input => ReadAll(input.Bytes, input.Limit, input.Step),
            ex => ex is EndOfStreamException,
            input => $"limit {input.Limit}, step {input.Step}: {Corpus.ToHex(input.Bytes)}")
        {
            // Every header may announce up to the limit before its payload arrives (as Go ttrpc
            // does), so the cap is the limit per header the stream can hold, plus the discard buffer.
            AllocationCap = input => ((input.Bytes.Length / FrameHeader.Size) + 1) * (input.Limit + 1024L) + (256 << 10),
        },
        output);

    private static void ReadAll(byte[] bytes, int limit, int step)
    {
        var reader = new FrameReader(new TrickleStream(bytes, step), limit);
        var frames = 0;
        while (reader.ReadAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult() is { } frame)
        {
            frames++;
            if (frame.IsOversized)
            {
                Fuzzer.Require(frame.Header.Length > (uint)limit, $"an oversized frame of {frame.Header.Length} bytes is within the limit {limit}");
            }
            else
            {
                Fuzzer.Require(frame.Payload!.Length == frame.Header.Length, $"payload {frame.Payload.Length} bytes, header says {frame.Header.Length}");
                Fuzzer.Require(frame.Header.Length <= (uint)limit, $"a frame of {frame.Header.Length} bytes passed the limit {limit}");
            }

            Fuzzer.Require(frames <= (bytes.Length / FrameHeader.Size) + 1, $"{frames} frames out of {bytes.Length} bytes");
        }
    }
}
