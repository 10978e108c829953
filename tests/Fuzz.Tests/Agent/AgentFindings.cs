using SevAgent.Containers;
using SevAgent.Errors;

namespace Fuzz.Tests.Agent;

/// <summary>
/// What a read of PathGuard found before target 6 (<see cref="AgentRequestFuzz"/>) could reach
/// the agent, and what is now fixed: its id pattern ended in '$', which also matches before a
/// final newline, so "abc\n" passed as a plain name (PodNetworkSysctls and the shim's
/// PodNamespaces had the same hole); all three anchor with \z.
/// </summary>
public sealed class AgentFindings
{
    [Fact]
    public void CheckId_refuses_a_trailing_newline()
    {
        var ex = Assert.Throws<AgentException>(() => PathGuard.CheckId("abc\n", "container_id"));
        Assert.Equal(AgentErrorKind.InvalidArgument, ex.Kind);
    }
}
