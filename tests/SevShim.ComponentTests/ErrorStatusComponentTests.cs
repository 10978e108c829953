using SevShim.Config;
using SevShim.Errors;
using SevShim.Protos.Containerd.TaskV2;
using Ttrpc;

namespace SevShim.ComponentTests;

/// <summary>
/// Through the real ttrpc server, the code and message containerd receives when the VM cannot
/// be made: every kind of the taxonomy with its own code, never Unknown (issue 14 item 4).
/// </summary>
public sealed class ErrorStatusComponentTests
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
}
