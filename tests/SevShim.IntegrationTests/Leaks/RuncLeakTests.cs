using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Leaks;

/// <summary>The leak check with the runc shim: the reference, and proof that the check itself finds nothing on a clean runtime.</summary>
[Collection(CtrCollection.Name)]
public sealed class RuncLeakTests(CtrFixture fixture)
{
    [E2EFact(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc)]
    public async Task Run_and_delete_cycles_leave_no_process_mount_socket_or_state()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.Runc);
        await LeakCycles.RunAsync(fixture, CtrRuntime.Runc, "containerd-shim-runc-v2", LeakCycles.Cycles(SevshimLeakTests.DefaultCycles));
    }
}
