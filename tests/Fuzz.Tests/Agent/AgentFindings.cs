using System.Reflection;

namespace Fuzz.Tests.Agent;

/// <summary>
/// Target 6 (the agent's pure request handling) is not fuzzed yet (src/SevAgent has no
/// InternalsVisibleTo for this project). What a read of PathGuard found, and what is now fixed:
/// its id pattern ended in '$', which also matches before a final newline, so "abc\n" passed as
/// a plain name (PodNetworkSysctls and the shim's PodNamespaces had the same hole); all three
/// anchor with \z. Reached through reflection.
/// </summary>
public sealed class AgentFindings
{
    [Fact]
    public void CheckId_refuses_a_trailing_newline()
    {
        var guard = Type.GetType("SevAgent.Containers.PathGuard, sevagent", throwOnError: true)!;
        var check = guard.GetMethod("CheckId", BindingFlags.Public | BindingFlags.Static)!;
        var ex = Assert.Throws<TargetInvocationException>(() => check.Invoke(null, ["abc\n", "container_id"]));
        Assert.Equal("AgentException", ex.InnerException?.GetType().Name);
    }
}
