using System.Net.Sockets;
using SevShim.Errors;
using SevShim.Tasks;
using Ttrpc;

namespace SevShim.Tests.Errors;

/// <summary>
/// Every exception a task call can end with reaches containerd as a status of the taxonomy,
/// never Unknown (issue 14 item 4): unit cases for <see cref="ShimErrors.Classify"/>. What
/// containerd receives through the real ttrpc server is SevShim.ComponentTests' ErrorStatusComponentTests.
/// </summary>
public sealed class ShimErrorsTests
{
    [Fact]
    public void Timeouts_are_deadlines_and_cancellation_is_left_to_the_server()
    {
        var deadline = ShimErrors.Classify(new TimeoutException("the agent did not answer within 60 s"), "Exec", out var unexpected);
        Assert.Equal(ShimErrorKind.DeadlineExceeded, deadline!.Kind);
        Assert.Equal("Exec: the agent did not answer within 60 s", deadline.Message);
        Assert.False(unexpected);

        Assert.Null(ShimErrors.Classify(new OperationCanceledException(), "Wait", out _));
        Assert.Null(ShimErrors.Classify(new TaskCanceledException(), "Wait", out _));

        var socket = ShimErrors.Classify(new SocketException((int)SocketError.ConnectionRefused), "Start", out unexpected);
        Assert.Equal(ShimErrorKind.Internal, socket!.Kind);
        Assert.True(unexpected);
        Assert.StartsWith("Start failed on the host: SocketException: ", socket.Message, StringComparison.Ordinal);

        var shim = new ShimException(ShimErrorKind.NotFound, "container c9 not found");
        Assert.Same(shim, ShimErrors.Classify(shim, "State", out unexpected));
        Assert.False(unexpected);
    }

    [Fact]
    public void Every_kind_has_its_own_code()
    {
        var codes = Enum.GetValues<ShimErrorKind>().Select(TaskTtrpcAdapter.ToStatusCode).ToList();
        Assert.Equal(codes.Count, codes.Distinct().Count());
        Assert.DoesNotContain(TtrpcStatusCode.Unknown, codes);
    }
}
