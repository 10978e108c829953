using Qemu;
using Sev;
using Sev.Check;
using Sev.Launch;
using SevShim.Qemu;
using TestSupport;

namespace SevShim.IntegrationTests.Vm;

/// <summary>
/// Feeds a confidential pod's whole QEMU line, as the shim renders it (src/Sev's launch plan
/// placed by <see cref="QemuCommandLine"/>), to the installed QEMU under TCG. QEMU reports unknown
/// objects, parameters and properties while parsing the command line; SEV itself then fails later
/// (no KVM, no /dev/sev: QEMU 7.2 aborts on "machine->cgs->ready"). The tests assert that the
/// failure, if any, is not a parse error.
/// </summary>
public sealed class QemuOptionParserE2ETests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    // How QEMU's option parsers word their refusals (qapi/opts-visitor, qom, qdev, keyval).
    private static readonly string[] ParseErrors =
        ["Invalid parameter", "not found", "does not accept value", "expects", "Parameter '", "is unexpected", "unknown option"];

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sev-parse-");

    public void Dispose() => _dir.Delete(recursive: true);

    [E2EFact(Requirement.Qemu)]
    public async Task Qemu_accepts_every_sev_option()
    {
        Prerequisites.Ensure(Requirement.Qemu);
        var stderr = await RunQemu(SevMode.Sev, string.Empty);
        AssertNoParseError(stderr);
    }

    [E2EFact(Requirement.Qemu)]
    public async Task Qemu_accepts_every_sev_es_option()
    {
        Prerequisites.Ensure(Requirement.Qemu);
        var stderr = await RunQemu(SevMode.SevEs, string.Empty);
        AssertNoParseError(stderr);
    }

    [E2EFact(Requirement.Qemu)]
    public async Task Qemu_accepts_the_pre_attestation_options()
    {
        // dh-cert-file and session-file on sev-guest, and -S (SEV.md 2.5, 5.2).
        Prerequisites.Ensure(Requirement.Qemu);
        var stderr = await RunQemu(SevMode.SevEs, string.Empty, preAttestation: true);
        AssertNoParseError(stderr);
    }

    [E2EFact(Requirement.Qemu)]
    public async Task A_misspelt_property_is_caught_by_the_same_check()
    {
        // Control: proves the classifier sees QEMU's parse errors at all.
        Prerequisites.Ensure(Requirement.Qemu);
        var stderr = await RunQemu(SevMode.Sev, ",kernel-hashez=on");
        Assert.Contains(ParseErrors, e => stderr.Contains(e, StringComparison.Ordinal));
    }

    [E2EFact(Requirement.Qemu)]
    public async Task A_misspelt_device_property_is_caught_too()
    {
        // Control: QEMU gets as far as the virtio devices' properties.
        Prerequisites.Ensure(Requirement.Qemu);
        var stderr = await RunQemu(SevMode.Sev, string.Empty, deviceSuffix: ",iommu_platfrom=on");
        Assert.Contains("iommu_platfrom", stderr, StringComparison.Ordinal);
        Assert.Contains(ParseErrors, e => stderr.Contains(e, StringComparison.Ordinal));
    }

    [E2EFact(Requirement.Qemu)]
    public async Task Snp_follows_the_installed_qemu_version()
    {
        Prerequisites.Ensure(Requirement.Qemu);
        using var cts = new CancellationTokenSource(Timeout);
        var binary = QemuBinary.Resolve(QemuBinary.DefaultName)!;
        var version = await QemuVersionProbe.FromBinaryAsync(binary, cts.Token);
        if (version.Version < new QemuVersion(9, 1, 0))
        {
            // QEMU 7.2 (Debian 12) has no sev-snp-guest: the plan must refuse and say why.
            var ex = Assert.Throws<SevUnavailableException>(() => SevLaunchPlanner.Compose(Request(SevMode.SevSnp), Facts(version)));
            Assert.Contains("9.1", ex.Message, StringComparison.Ordinal);
            var output = await ProcessRunner.RunAsync(binary, ["-object", "sev-snp-guest,id=sev0", "-machine", "none", "-display", "none"], Timeout, cts.Token);
            Assert.Contains("sev-snp-guest", output.StandardError, StringComparison.Ordinal);
        }
        else
        {
            var stderr = await RunQemu(SevMode.SevSnp, string.Empty);
            AssertNoParseError(stderr);
        }
    }

    [E2EFact(Requirement.Qemu10)]
    public async Task Qemu_10_from_backports_accepts_every_sev_snp_option_and_fails_only_for_sev()
    {
        // Debian 12's QEMU cannot launch SNP at all; bookworm-backports' 10.x can. Everything the
        // plan renders must pass its parsers; what stops it here is the missing SEV itself (no
        // KVM, no /dev/sev), which QEMU reports only after parsing.
        Prerequisites.Ensure(Requirement.Qemu10);
        var stderr = await RunQemu(SevMode.SevSnp, string.Empty, binary: QemuBackports.Binary);
        AssertNoParseError(stderr);
        // QEMU 10.0 under TCG: "cannot set up private guest memory for sev-snp-guest: KVM required".
        Assert.Contains("sev-snp-guest", stderr, StringComparison.Ordinal);
        Assert.Matches("KVM required|/dev/sev", stderr);
    }

    [E2EFact(Requirement.Qemu10)]
    public async Task Qemu_10_catches_a_misspelt_snp_property()
    {
        // Control for the test above: QEMU 10's parse errors are seen by the same classifier.
        Prerequisites.Ensure(Requirement.Qemu10);
        var stderr = await RunQemu(SevMode.SevSnp, ",kernel-hashez=on", binary: QemuBackports.Binary);
        Assert.Contains(ParseErrors, e => stderr.Contains(e, StringComparison.Ordinal));
    }

    private static SevHostFacts Facts(QemuVersionInfo version) => new(51, 1, 1, 509, 100, version, false);

    private SevLaunchRequest Request(SevMode mode)
    {
        // A blank 2 MiB image: QEMU only needs a raw file of flash size to map it.
        var fw = Path.Combine(_dir.FullName, "OVMF.fd");
        if (!File.Exists(fw))
        {
            File.WriteAllBytes(fw, new byte[2 * 1024 * 1024]);
        }

        return new SevLaunchRequest { Mode = mode, FirmwarePath = fw, GuestMemoryMiB = 512 };
    }

    private async Task<string> RunQemu(SevMode mode, string objectSuffix, bool preAttestation = false, string? binary = null, string deviceSuffix = "")
    {
        using var cts = new CancellationTokenSource(Timeout);
        binary ??= QemuBinary.Resolve(QemuBinary.DefaultName)!;
        var version = await QemuVersionProbe.FromBinaryAsync(binary, cts.Token);
        var request = Request(mode);
        if (preAttestation)
        {
            var godh = Path.Combine(_dir.FullName, "vm_godh.b64");
            var session = Path.Combine(_dir.FullName, "vm_session.b64");
            File.WriteAllText(godh, Convert.ToBase64String(new byte[2084]));
            File.WriteAllText(session, Convert.ToBase64String(new byte[128]));
            request = request with { DhCertFile = godh, SessionFile = session, StartPaused = true };
        }

        var plan = SevLaunchPlanner.Compose(request, Facts(version));
        var state = new PodStateLayout(Path.Combine(_dir.FullName, "pod1"));
        Directory.CreateDirectory(state.ShareDirectory);

        // No NIC: its tap fd would have to be a real tap, and the unit goldens pin its device line.
        var args = QemuCommandLine.Build(new QemuVmSpec(
            "pod1", QemuAccelerator.Tcg, 1, request.GuestMemoryMiB, "/no/kernel", "/no/initrd", string.Join(' ', plan.KernelParameters.Prepend("console=ttyS0")), state, plan)).ToList();
        args[args.IndexOf("-object") + 1] += objectSuffix;
        args[args.FindIndex(a => a.StartsWith("virtio-scsi-pci,", StringComparison.Ordinal))] += deviceSuffix;

        // Without a kernel: QEMU loads it while building the board, before it creates (and checks)
        // the -device options, and there is no guest kernel to give it here.
        var kernelAt = args.IndexOf("-kernel");
        Assert.Equal(["-kernel", "/no/kernel", "-initrd", "/no/initrd", "-append"], args[kernelAt..^1]);
        args.RemoveRange(kernelAt, 6);

        // Stopped before the guest runs, whatever the plan says; QEMU then waits (everything parsed) or fails.
        args.Add("-S");
        if (binary == QemuBackports.Binary)
        {
            // Its own ROMs, not the system 7.2's.
            args.InsertRange(0, ["-L", QemuBackports.DataDir]);
        }

        var output = await ProcessRunner.RunAsync(binary, args, Timeout, cts.Token);
        // Either QEMU is still waiting at -S (killed after the timeout: everything parsed) or it
        // failed; the caller decides whether the failure was a parse error.
        return output.StandardError;
    }

    private static void AssertNoParseError(string stderr)
    {
        foreach (var e in ParseErrors)
        {
            Assert.DoesNotContain(e, stderr, StringComparison.Ordinal);
        }
    }
}
