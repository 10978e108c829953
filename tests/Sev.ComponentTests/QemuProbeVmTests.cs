using Qemu;
using TestSupport;

namespace Sev.ComponentTests;

/// <summary>Runs the installed QEMU (TCG, no guest) through the real QMP handshake.</summary>
public sealed class QemuProbeVmTests
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(120);

    [E2EFact(Requirement.Qemu)]
    public async Task Probe_vm_answers_query_version_like_dash_dash_version()
    {
        Prerequisites.Ensure(Requirement.Qemu);
        var binary = QemuBinary.Resolve(QemuBinary.DefaultName)!;
        using var cts = new CancellationTokenSource(Generous);

        var fromBinary = await QemuVersionProbe.FromBinaryAsync(binary, cts.Token);
        var (fromQmp, greeting) = await QemuProbeVm.RunAsync(
            binary, "tcg", Generous,
            async (qmp, ct) => (await QemuVersionProbe.QueryAsync(qmp, ct), qmp.Greeting.Version),
            cts.Token);

        Assert.Equal(fromBinary.Version, fromQmp.Version);
        Assert.Equal(fromBinary.Version, greeting.Version);
    }

    [E2EFact(Requirement.Qemu)]
    public async Task Sev_capabilities_under_tcg_is_a_qmp_error_with_class_and_desc()
    {
        Prerequisites.Ensure(Requirement.Qemu);
        var binary = QemuBinary.Resolve(QemuBinary.DefaultName)!;
        using var cts = new CancellationTokenSource(Generous);

        var ex = await QemuProbeVm.RunAsync<QmpErrorException?>(
            binary, "tcg", Generous,
            async (qmp, ct) =>
            {
                try
                {
                    await qmp.ExecuteAsync("query-sev-capabilities", ct);
                    return null;
                }
                catch (QmpErrorException e)
                {
                    return e;
                }
            },
            cts.Token);

        // Without KVM QEMU cannot have SEV: QEMU 7.2 says "KVM not enabled".
        Assert.NotNull(ex);
        Assert.Equal("GenericError", ex.ErrorClass);
        Assert.False(string.IsNullOrWhiteSpace(ex.Description));
    }

    [E2EFact(Requirement.Qemu)]
    public async Task Qemu_exiting_before_qmp_is_reported_with_its_stderr()
    {
        Prerequisites.Ensure(Requirement.Qemu);
        var binary = QemuBinary.Resolve(QemuBinary.DefaultName)!;
        using var cts = new CancellationTokenSource(Generous);

        var ex = await Assert.ThrowsAsync<QemuStartException>(() => QemuProbeVm.RunAsync(
            binary, "no-such-accel", Generous, (_, _) => Task.FromResult(0), cts.Token));

        Assert.NotNull(ex.ExitCode);
        Assert.NotEqual(0, ex.ExitCode);
        Assert.Contains("no-such-accel", ex.StandardError, StringComparison.Ordinal);
    }
}
