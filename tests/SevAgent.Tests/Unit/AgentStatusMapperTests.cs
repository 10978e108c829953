using Grpc.Core;
using Microsoft.Extensions.Logging.Abstractions;
using SevAgent.Errors;
using SevAgent.Services;

namespace SevAgent.Tests.Unit;

/// <summary>The one place where the agent's exceptions become gRPC statuses (the shim matches on codes and texts).</summary>
public sealed class AgentStatusMapperTests
{
    [Theory]
    [InlineData("InvalidArgument", StatusCode.InvalidArgument)]
    [InlineData("NotFound", StatusCode.NotFound)]
    [InlineData("AlreadyExists", StatusCode.AlreadyExists)]
    [InlineData("FailedPrecondition", StatusCode.FailedPrecondition)]
    [InlineData("Unavailable", StatusCode.Unavailable)]
    [InlineData("DeadlineExceeded", StatusCode.DeadlineExceeded)]
    [InlineData("Internal", StatusCode.Internal)]
    public void Each_kind_maps_to_its_status_code_with_the_message_intact(string kind, StatusCode code)
    {
        var error = new AgentException(Enum.Parse<AgentErrorKind>(kind), "container c1 not found: create it first");

        var rpc = AgentStatusMapper.ToRpcException(error, DateTime.MaxValue, CancellationToken.None);

        Assert.Equal(code, rpc.StatusCode);
        Assert.Equal("container c1 not found: create it first", rpc.Status.Detail);
    }

    [Fact]
    public void Every_kind_has_a_mapping()
    {
        // A kind added without a case would fall to INTERNAL silently.
        var mapped = Enum.GetValues<AgentErrorKind>().Where(k => k != AgentErrorKind.Internal).Select(AgentStatusMapper.ToStatusCode);
        Assert.DoesNotContain(StatusCode.Internal, mapped);
    }

    [Fact]
    public void The_factory_helpers_give_their_kind()
    {
        Assert.Equal(AgentErrorKind.InvalidArgument, AgentException.InvalidArgument("x").Kind);
        Assert.Equal(AgentErrorKind.NotFound, AgentException.NotFound("x").Kind);
        Assert.Equal(AgentErrorKind.AlreadyExists, AgentException.AlreadyExists("x").Kind);
        Assert.Equal(AgentErrorKind.FailedPrecondition, AgentException.FailedPrecondition("x").Kind);
        Assert.Equal(AgentErrorKind.Unavailable, AgentException.Unavailable("x").Kind);
        Assert.Equal(AgentErrorKind.DeadlineExceeded, AgentException.DeadlineExceeded("x").Kind);
        Assert.Equal(AgentErrorKind.Internal, AgentException.Internal("x").Kind);
    }

    [Fact]
    public void An_unexpected_exception_is_internal_with_type_and_message_but_no_stack()
    {
        IOException thrown;
        try
        {
            throw new IOException("disk full");
        }
        catch (IOException e)
        {
            thrown = e;
        }

        Assert.True(AgentStatusMapper.IsUnexpected(thrown, CancellationToken.None));
        var rpc = AgentStatusMapper.ToRpcException(thrown, DateTime.MaxValue, CancellationToken.None);

        Assert.Equal(StatusCode.Internal, rpc.StatusCode);
        Assert.Equal("unexpected IOException in the agent: disk full", rpc.Status.Detail);
        Assert.DoesNotContain(" at ", rpc.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void A_cancelled_call_is_cancelled_and_a_passed_deadline_is_deadline_exceeded()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var oce = new OperationCanceledException(cancelled.Token);

        Assert.False(AgentStatusMapper.IsUnexpected(oce, cancelled.Token));
        Assert.Equal(StatusCode.Cancelled, AgentStatusMapper.ToRpcException(oce, DateTime.MaxValue, cancelled.Token).StatusCode);
        Assert.Equal(StatusCode.DeadlineExceeded, AgentStatusMapper.ToRpcException(oce, DateTime.UtcNow.AddSeconds(-1), cancelled.Token).StatusCode);
    }

    [Fact]
    public void A_cancellation_the_call_did_not_ask_for_is_internal()
    {
        // An agent-side timeout (a token of its own) is a failure, not the shim's cancel.
        var rpc = AgentStatusMapper.ToRpcException(new TaskCanceledException("timed out"), DateTime.MaxValue, CancellationToken.None);
        Assert.Equal(StatusCode.Internal, rpc.StatusCode);
        Assert.Contains("TaskCanceledException", rpc.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_rpc_exception_of_the_call_itself_is_kept()
    {
        var original = new RpcException(new Status(StatusCode.Unavailable, "stream reset"));
        Assert.Same(original, AgentStatusMapper.ToRpcException(original, DateTime.MaxValue, CancellationToken.None));
    }

    [Fact]
    public async Task The_guard_maps_what_a_handler_throws_synchronously_or_asynchronously()
    {
        var guard = new AgentCallGuard(NullLogger.Instance);
        var context = new FakeCallContext();
        var sync = guard.Unary<string, string>(static (_, _, _) => throw AgentException.NotFound("exec e1 not found in container c1"));
        var async = guard.Unary<string, string>(static async (_, _, _) =>
        {
            await Task.Yield();
            throw new InvalidOperationException("boom");
        });

        var notFound = await Assert.ThrowsAsync<RpcException>(() => sync(null!, "r", context));
        var internalError = await Assert.ThrowsAsync<RpcException>(() => async(null!, "r", context));

        Assert.Equal(StatusCode.NotFound, notFound.StatusCode);
        Assert.Equal("exec e1 not found in container c1", notFound.Status.Detail);
        Assert.Equal(StatusCode.Internal, internalError.StatusCode);
        Assert.Equal("unexpected InvalidOperationException in the agent: boom", internalError.Status.Detail);
    }

    // Only what the guard reads: the method name, the token and the deadline.
    private sealed class FakeCallContext : ServerCallContext
    {
        protected override string MethodCore => "/sevagent.v1.Agent/Test";

        protected override string HostCore => "localhost";

        protected override string PeerCore => "unix:test";

        protected override DateTime DeadlineCore => DateTime.MaxValue;

        protected override Metadata RequestHeadersCore { get; } = [];

        protected override CancellationToken CancellationTokenCore => CancellationToken.None;

        protected override Metadata ResponseTrailersCore { get; } = [];

        protected override Status StatusCore { get; set; }

        protected override WriteOptions? WriteOptionsCore { get; set; }

        protected override AuthContext AuthContextCore { get; } = new(null, []);

        protected override ContextPropagationToken CreatePropagationTokenCore(ContextPropagationOptions? options) => throw new NotSupportedException();

        protected override Task WriteResponseHeadersAsyncCore(Metadata responseHeaders) => Task.CompletedTask;
    }
}
