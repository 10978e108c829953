using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Leaks;

/// <summary>The leak check with the runc shim: the reference, and proof that the check itself finds nothing on a clean runtime.</summary>
[Collection(CtrCollection.Name)]
public sealed class RuncLeakTests(CtrFixture fixture)
{
    [E2ETheory(Requirement.Root, Requirement.Runc)]
    [ContainerdRow("1.6")]
    [ContainerdRow("1.7")]
    [ContainerdRow("2.1")]
    public async Task Run_and_delete_cycles_leave_no_process_mount_socket_or_state(string containerd)
    {
        var build = ContainerdRowAttribute.Ensure(containerd, Requirement.Root, Requirement.Runc);
        await LeakCycles.RunAsync(fixture, build, CtrRuntime.Runc, "containerd-shim-runc-v2", LeakCycles.Cycles(build, SevshimLeakTests.DefaultCycles));
    }
}
