using System.Text;
using SevAgent.Transport;

namespace SevAgent.Tests.Unit;

public sealed class Http2FrameTrackerTests
{
    private static readonly byte[] Preface = Encoding.ASCII.GetBytes("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

    private static byte[] Frame(int length, byte fill) =>
        [(byte)(length >> 16), (byte)(length >> 8), (byte)length, 0, 0, 0, 0, 0, 1, .. Enumerable.Repeat(fill, length)];

    [Fact]
    public void Finds_a_sync_line_at_a_frame_boundary_across_chunks()
    {
        var tracker = new Http2FrameTracker();
        // A payload full of 'S' must not be mistaken for the marker.
        var stream = Preface.Concat(Frame(20, (byte)'S')).Concat(Frame(0, 0)).ToArray();
        Assert.Equal(-1, tracker.Feed(stream.AsSpan(0, 30)));
        Assert.Equal(-1, tracker.Feed(stream.AsSpan(30)));

        var next = Frame(3, (byte)'x').Concat(Encoding.ASCII.GetBytes("SEVAGENT-SYNC 1\n")).ToArray();
        Assert.Equal(12, tracker.Feed(next));
    }

    [Fact]
    public void A_split_header_is_followed()
    {
        var tracker = new Http2FrameTracker();
        Assert.Equal(-1, tracker.Feed(Preface));
        var frame = Frame(5, (byte)'S');
        Assert.Equal(-1, tracker.Feed(frame.AsSpan(0, 4)));
        Assert.Equal(-1, tracker.Feed(frame.AsSpan(4)));
        Assert.Equal(0, tracker.Feed("SEVAGENT-SYNC 2\n"u8));
    }

    [Fact]
    public void A_new_preface_at_a_frame_boundary_is_a_new_connection()
    {
        var tracker = new Http2FrameTracker();
        Assert.Equal(-1, tracker.Feed(Preface.Concat(Frame(6, (byte)'P')).ToArray()));
        Assert.Equal(0, tracker.Feed(Preface));
    }
}
