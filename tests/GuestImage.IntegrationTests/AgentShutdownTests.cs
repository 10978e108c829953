using SevAgent.Protocol.V1;
using TestSupport;

namespace GuestImage.IntegrationTests;

/// <summary>Shutdown through the agent powers the VM off, and QEMU (-no-reboot) exits. Boots its own VM.</summary>
public sealed class AgentShutdownTests
{
    [E2EFact(Requirement.Qemu, Requirement.GuestImage, Requirement.AgentBinary)]
    public async Task Shutdown_powers_the_vm_off_and_qemu_exits()
    {
        Prerequisites.Ensure(AgentVm.Requirements);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        await using var vm = await AgentVm.BootAsync(cts.Token);

        await vm.Client.ShutdownAsync(new ShutdownRequest(), deadline: AgentVm.Deadline(), cancellationToken: cts.Token);

        var exited = await vm.Vm.WaitForExitAsync(TimeSpan.FromSeconds(120), cts.Token);
        Assert.True(exited, "QEMU still runs 120 s after Shutdown" + vm.Vm.Diagnostics());
        Assert.True(vm.Vm.ExitCode == 0, $"QEMU exit code {vm.Vm.ExitCode}" + vm.Vm.Diagnostics());
        Assert.Contains("reboot: Power down", vm.Vm.ReadConsole(), StringComparison.Ordinal);
    }
}
