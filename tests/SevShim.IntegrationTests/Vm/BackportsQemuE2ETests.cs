using Sev;
using Serilog;
using SevShim.Config;
using SevShim.Sandbox;
using TestSupport;
using Xunit.Abstractions;

namespace SevShim.IntegrationTests.Vm;

/// <summary>
/// A pod on bookworm-backports' QEMU 10 (vm.qemu as SEVSHIM_QEMU=backports installs it): that
/// build is not relocatable, so the shim passes its own ROM folder with -L, and the pod boots and
/// runs a container in rootfs mode "block" (the confidential pods' mode) under TCG.
/// </summary>
public sealed class BackportsQemuE2ETests(ITestOutputHelper output) : IDisposable
{
    private readonly VmScratch _dir = new("sevshim-qemu10-");

    public void Dispose() => _dir.Dispose();

    [E2EFact(Requirement.Root, Requirement.Qemu10, Requirement.GuestImage)]
    public async Task A_pod_boots_on_qemu_10_with_its_own_rom_folder()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Qemu10, Requirement.GuestImage);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        var ct = deadline.Token;
        using var log = new LoggerConfiguration().MinimumLevel.Debug().WriteTo.Sink(new TestOutputSink(output)).CreateLogger();
        var bundle = Directory.CreateDirectory(Path.Combine(_dir.FullName, "bundle")).FullName;
        GuestFixture.BusyboxRootfs(bundle);
        var data = Directory.CreateDirectory(Path.Combine(_dir.FullName, "data")).FullName;
        var stdout = Path.Combine(_dir.FullName, "stdout");
        var stderr = Path.Combine(_dir.FullName, "stderr");
        var options = new QemuSandboxOptions { StateRoot = Path.Combine(_dir.FullName, "state") };
        var config = GuestFixture.Config() with { Confidential = SevMode.None, Rootfs = RootfsMode.Block, QemuPath = QemuBackports.Binary };

        var sandbox = await QemuSandbox.BootAsync("q10-" + Guid.NewGuid().ToString("N")[..8], config, options, log, ct);
        try
        {
            var qemuArgs = File.ReadAllText($"/proc/{sandbox.QemuPid}/cmdline").Split('\0');
            Assert.Equal(QemuBackports.Binary, qemuArgs[0]);
            var at = Array.IndexOf(qemuArgs, "-L");
            Assert.True(at > 0, "no -L on the command line: " + string.Join(' ', qemuArgs));
            Assert.Equal(Path.Combine(QemuBackports.Root, "usr", "share", "qemu"), Path.GetFullPath(qemuArgs[at + 1]));

            await sandbox.CreateContainerAsync(
                new ContainerCreateRequest("c1", bundle, GuestFixture.Spec("echo on-qemu-10", data), [], new StdioPaths(string.Empty, stdout, stderr, false)), ct);
            await sandbox.StartContainerAsync("c1", ct);
            var exit = await SandboxExits.NextAsync(sandbox.Events, "c1", string.Empty, ct);
            Assert.True(exit.ExitStatus == 0, $"exit {exit.ExitStatus}; stderr: {File.ReadAllText(stderr)}");
            Assert.Equal("on-qemu-10", File.ReadAllText(stdout).Trim());
            await sandbox.DeleteContainerAsync("c1", ct);
        }
        finally
        {
            await sandbox.ShutdownAsync(ct);
            await sandbox.DisposeAsync();
        }
    }
}
