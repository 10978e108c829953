using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Faults;

/// <summary>The containerd-restart fault with the runc shim: the reference, and a check of the restart harness.</summary>
[Collection(CtrCollection.Name)]
public sealed class RuncFaultTests(CtrFixture fixture)
{
    [E2EFact(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc)]
    public async Task Containerd_restart_reconnects_and_exec_still_works()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc);
        await FaultScenarios.RestartKeepsTaskAsync(fixture, CtrRuntime.Runc, "restart-r");
    }
}
