using System.Reflection;

namespace Fuzz.Tests.Agent;

/// <summary>
/// Target 6 (the agent's pure request handling) is not fuzzed yet: src/SevAgent is being
/// refactored and is not edited here, so it has no InternalsVisibleTo for this project. What a
/// read of PathGuard found is kept as skipped tests, through reflection, for the agent's owner.
/// </summary>
public sealed class AgentFindings
{
    [Fact(Skip = "finding: PathGuard.CheckId's pattern ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ accepts a trailing newline ('$' also matches before a final \\n), so 'abc\\n' passes as a plain name; anchor with \\z. PodNetworkSysctls' ^net(\\.[A-Za-z0-9_-]+)+$ has the same hole. src/SevAgent is under refactoring: not fixed here.")]
    public void CheckId_refuses_a_trailing_newline()
    {
        var guard = Type.GetType("SevAgent.Containers.PathGuard, sevagent", throwOnError: true)!;
        var check = guard.GetMethod("CheckId", BindingFlags.Public | BindingFlags.Static)!;
        var ex = Assert.Throws<TargetInvocationException>(() => check.Invoke(null, ["abc\n", "container_id"]));
        Assert.IsType<Grpc.Core.RpcException>(ex.InnerException);
    }
}
