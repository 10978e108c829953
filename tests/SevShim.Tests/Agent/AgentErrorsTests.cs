using Grpc.Core;
using SevShim.Agent;
using SevShim.Errors;

namespace SevShim.Tests.Agent;

public sealed class AgentErrorsTests
{
    [Theory]
    [InlineData(StatusCode.NotFound, "NotFound")]
    [InlineData(StatusCode.AlreadyExists, "AlreadyExists")]
    [InlineData(StatusCode.InvalidArgument, "InvalidArgument")]
    [InlineData(StatusCode.FailedPrecondition, "FailedPrecondition")]
    [InlineData(StatusCode.Unavailable, "Unavailable")]
    [InlineData(StatusCode.DeadlineExceeded, "DeadlineExceeded")]
    [InlineData(StatusCode.Unimplemented, "Unimplemented")]
    [InlineData(StatusCode.Internal, "Internal")]
    [InlineData(StatusCode.Unknown, "Internal")]
    public void StatusCodesMapToShimKinds(StatusCode code, string kind) =>
        Assert.Equal(Enum.Parse<ShimErrorKind>(kind), AgentErrors.KindOf(code));

    [Fact]
    public void TheAgentsMessageIsKeptWithTheOperation()
    {
        var ex = AgentErrors.From(new RpcException(new Status(StatusCode.NotFound, "container c9 does not exist")), "starting container c9");
        Assert.Equal(ShimErrorKind.NotFound, ex.Kind);
        Assert.Equal("sevshim: starting container c9: container c9 does not exist", ex.Message);
    }
}
