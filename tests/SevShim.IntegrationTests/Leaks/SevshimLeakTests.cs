using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Leaks;

/// <summary>
/// Repeated `ctr run --rm` with sevshim must leave nothing behind: no QEMU, no shim, no mount
/// below the private containerd's folder or the pods' /run/sevshim folders, no shim socket, no
/// bundle or pod state folder. Cycles: SEVSHIM_LEAK_CYCLES (default <see cref="DefaultCycles"/>).
/// </summary>
[Collection(CtrCollection.Name)]
public sealed class SevshimLeakTests(CtrFixture fixture)
{
    /// <summary>Cycles when SEVSHIM_LEAK_CYCLES is unset (each is a VM boot under TCG, about 11 s here): the 20 issue #4 asks for.</summary>
    public const int DefaultCycles = 20;

    [E2ETheory(Requirement.Root, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    [ContainerdRow("1.6")]
    [ContainerdRow("1.7")]
    [ContainerdRow("2.1")]
    public async Task Run_and_delete_cycles_leave_no_process_mount_socket_or_state(string containerd)
    {
        var build = ContainerdRowAttribute.Ensure(containerd, Requirement.Root, Requirement.Runc, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage);
        await LeakCycles.RunAsync(fixture, build, CtrRuntime.Sevshim, CtrPods.ShimName, LeakCycles.Cycles(build, DefaultCycles));
    }
}
