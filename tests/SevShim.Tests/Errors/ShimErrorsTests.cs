using System.Net.Sockets;
using SevShim.Config;
using SevShim.Errors;
using SevShim.Protos.Containerd.TaskV2;
using SevShim.Tasks;
using SevShim.Tests.Component;
using Ttrpc;

namespace SevShim.Tests.Errors;

/// <summary>
/// Every exception a task call can end with reaches containerd as a status of the taxonomy,
/// never Unknown (issue 14 item 4): unit cases for <see cref="ShimErrors.Classify"/> and, through
/// the real ttrpc server, the code and message containerd receives when the VM cannot be made.
/// </summary>
public sealed class ShimErrorsTests
{
    [Theory]
    [InlineData("NotFound", TtrpcStatusCode.NotFound)]
    [InlineData("AlreadyExists", TtrpcStatusCode.AlreadyExists)]
    [InlineData("FailedPrecondition", TtrpcStatusCode.FailedPrecondition)]
    [InlineData("InvalidArgument", TtrpcStatusCode.InvalidArgument)]
    [InlineData("Unavailable", TtrpcStatusCode.Unavailable)]
    [InlineData("DeadlineExceeded", TtrpcStatusCode.DeadlineExceeded)]
    [InlineData("Unimplemented", TtrpcStatusCode.Unimplemented)]
    [InlineData("Internal", TtrpcStatusCode.Internal)]
    public async Task Each_kind_reaches_containerd_with_its_code_and_message_intact(string kindName, TtrpcStatusCode code)
    {
        var kind = Enum.Parse<ShimErrorKind>(kindName);
        await using var h = new ShimComponentHarness();
        h.Factory.FailWith = () => new ShimException(kind, $"pod VM for c1: {kind} because of the test");
        var failure = await h.CallFailsAsync("Create", new CreateTaskRequest { Id = "c1", Bundle = h.Bundle("c1") }, CreateTaskResponse.Parser);
        Assert.Equal(code, failure.Code);
        Assert.Equal($"pod VM for c1: {kind} because of the test", failure.Message);
    }

    [Fact]
    public async Task A_configuration_error_is_an_invalid_argument_naming_the_file_and_key()
    {
        await using var h = new ShimComponentHarness();
        const string Message = "configuration file /etc/sevshim/x.toml has 1 error(s):\n  vm.vcpus: must be at least 1";
        h.Factory.FailWith = () => new ConfigException(Message);
        var failure = await h.CallFailsAsync("Create", new CreateTaskRequest { Id = "c1", Bundle = h.Bundle("c1") }, CreateTaskResponse.Parser);
        Assert.Equal(TtrpcStatusCode.InvalidArgument, failure.Code);
        Assert.Equal(Message, failure.Message);
    }

    [Fact]
    public async Task A_host_io_error_is_internal_with_the_call_and_the_cause()
    {
        await using var h = new ShimComponentHarness();
        h.Factory.FailWith = () => new IOException("No space left on device : '/run/sevshim/c1/disk.img'");
        var failure = await h.CallFailsAsync("Create", new CreateTaskRequest { Id = "c1", Bundle = h.Bundle("c1") }, CreateTaskResponse.Parser);
        Assert.Equal(TtrpcStatusCode.Internal, failure.Code);
        Assert.Equal("Create failed on the host: IOException: No space left on device : '/run/sevshim/c1/disk.img'", failure.Message);
    }

    [Fact]
    public async Task A_bug_is_internal_and_says_so_never_unknown()
    {
        await using var h = new ShimComponentHarness();
        h.Factory.FailWith = () => new InvalidOperationException("Sequence contains no elements");
        var failure = await h.CallFailsAsync("Create", new CreateTaskRequest { Id = "c1", Bundle = h.Bundle("c1") }, CreateTaskResponse.Parser);
        Assert.Equal(TtrpcStatusCode.Internal, failure.Code);
        Assert.StartsWith("Create failed inside sevshim (InvalidOperationException: Sequence contains no elements)", failure.Message, StringComparison.Ordinal);
        Assert.Contains("the shim's log has the stack", failure.Message, StringComparison.Ordinal);
    }

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
