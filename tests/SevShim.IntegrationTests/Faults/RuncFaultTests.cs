using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Faults;

/// <summary>The containerd-restart fault with the runc shim: the reference, and a check of the restart harness.</summary>
[Collection(CtrCollection.Name)]
public sealed class RuncFaultTests(CtrFixture fixture)
{
    [E2ETheory(Requirement.Root, Requirement.Runc)]
    [ContainerdRow("1.6")]
    [ContainerdRow("1.7")]
    [ContainerdRow("2.1")]
    public async Task Containerd_restart_reconnects_and_exec_still_works(string containerd)
    {
        var build = ContainerdRowAttribute.Ensure(containerd, Requirement.Root, Requirement.Runc);
        await FaultScenarios.RestartKeepsTaskAsync(fixture, build, CtrRuntime.Runc, "restart-r");
    }
}
