using System.Globalization;
using Qemu;
using Sev.Check;

namespace Sev.Launch;

/// <summary>
/// Turns a <see cref="SevLaunchRequest"/> and the host check into QEMU arguments (SEV.md 2,
/// ARCHITECTURE decision 8). Refuses with <see cref="SevUnavailableException"/> when the host
/// cannot give the mode; it never falls back to a weaker one.
/// </summary>
public static class SevLaunchPlanner
{
    /// <summary>
    /// What every virtio device of an SEV guest adds: DMA through the platform IOMMU, so through
    /// the guest's shared bounce buffers (SEV.md 2.4). Modern-only (disable-legacy=on) is the
    /// shim's rule for every pod, so it is not part of the SEV fragments.
    /// </summary>
    public const string VirtioIommuPlatform = "iommu_platform=on";

    /// <summary>Plans the launch after checking that <paramref name="report"/> allows the mode.</summary>
    public static SevLaunchPlan Build(SevLaunchRequest request, HostReport report)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(report);
        var readiness = report.Readiness(request.Mode);
        if (!readiness.Ready)
        {
            throw new SevUnavailableException(request.Mode, readiness.Blockers
                .Select(b => $"{b.Name}: {b.Evidence}" + (b.Fix is null ? string.Empty : $" (fix: {b.Fix})"))
                .ToArray());
        }

        return Compose(request, report.Facts);
    }

    /// <summary>
    /// The arguments from host facts alone, without the readiness check (tests and the QEMU
    /// option-parser check use it; pods go through <see cref="Build"/>).
    /// </summary>
    internal static SevLaunchPlan Compose(SevLaunchRequest request, SevHostFacts facts)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(facts);
        if (request.Mode == SevMode.None)
        {
            return new SevLaunchPlan
            {
                Mode = SevMode.None, Policy = 0, MachineProperties = [], Arguments = [],
                VirtioDeviceProperties = string.Empty, KernelParameters = [], SwiotlbSlabs = 0,
            };
        }

        ArgumentException.ThrowIfNullOrEmpty(request.FirmwarePath);
        ArgumentException.ThrowIfNullOrEmpty(request.ObjectId);
        var policy = SevPolicy.Effective(request.Mode, request.Policy);
        SevPolicy.Validate(request.Mode, policy);
        var cbit = facts.CBitPosition
            ?? throw new SevUnavailableException(request.Mode, ["the C-bit position is unknown (CPUID 0x8000001F and QEMU gave none)"]);
        var snp = request.Mode == SevMode.SevSnp;
        if (facts.QemuObjects is { } objects)
        {
            // What the binary itself reported (qom-list-properties), as the check decided.
            var reason = QemuLaunchModes.Reason(request.Mode, objects, facts.Qemu is { } known ? $"QEMU {known.Version}" : "the configured QEMU");
            if (reason is not null)
            {
                throw new SevUnavailableException(request.Mode, [reason]);
            }
        }
        else if (facts.Qemu is { } q && q.Version < QemuChecks.KernelHashesSince)
        {
            // No object list (facts built by hand): the upstream version rules are all there is.
            throw new SevUnavailableException(request.Mode, [$"QEMU {q.Version} has no sev-guest kernel-hashes (needs 6.2 or later)"]);
        }
        else if (snp && facts.Qemu is { } v && v.Version < QemuChecks.SnpSince)
        {
            throw new SevUnavailableException(request.Mode,
                [$"QEMU {v.Version} has no sev-snp-guest object: SEV-SNP needs QEMU 9.1 or later"]);
        }

        if (snp && (request.DhCertFile is not null || request.SessionFile is not null || request.StartPaused))
        {
            throw new SevUnavailableException(request.Mode,
                ["SEV-SNP has no launch session or QMP launch measurement: pre-attestation is for SEV and SEV-ES"]);
        }

        var slabs = SwiotlbSize.Slabs(request.GuestMemoryMiB, request.SwiotlbSlabs);
        var objectProperties = new List<string>
        {
            snp ? "sev-snp-guest" : "sev-guest",
            "id=" + request.ObjectId,
            "policy=" + SevPolicy.Hex(policy),
            "cbitpos=" + cbit.ToString(CultureInfo.InvariantCulture),
            "reduced-phys-bits=" + facts.ReducedPhysBits.ToString(CultureInfo.InvariantCulture),
            "kernel-hashes=on",
        };

        // The guest owner's session (QEMU sev-guest dh-cert-file/session-file, SEV.md 5.2 step 3):
        // the firmware then uses the owner's TEK/TIK, so the owner can check the measurement.
        if (request.DhCertFile is not null)
        {
            objectProperties.Add("dh-cert-file=" + QemuOptionValue.Escape(request.DhCertFile));
        }

        if (request.SessionFile is not null)
        {
            objectProperties.Add("session-file=" + QemuOptionValue.Escape(request.SessionFile));
        }

        var sevObject = string.Join(',', objectProperties);

        // SEV/SEV-ES: the AmdSev OVMF, read-only pflash unit 0 (its varstore is part of the
        // measured image). SNP: -bios, because pflash fails with guest_memfd (SEV.md 2.2).
        string[] firmware = snp
            ? ["-bios", request.FirmwarePath]
            : ["-drive", $"if=pflash,format=raw,unit=0,file={QemuOptionValue.Escape(request.FirmwarePath)},readonly=on"];

        // SEV-ES and SNP (policy ES bit, or SNP): no SMM, split irqchip as Kata does. They also
        // need -no-reboot (the encrypted register state cannot be reset), which every pod VM's
        // line carries already (SevShim's QemuCommandLine: a guest reboot ends the pod), so the
        // plan does not add it a second time.
        var encryptedState = snp || (policy & SevPolicy.SevEsBit) != 0;
        var machine = new List<string> { "confidential-guest-support=" + request.ObjectId };
        var args = new List<string>(firmware) { "-object", sevObject };
        if (encryptedState)
        {
            machine.Add("smm=off");
            machine.Add("kernel-irqchip=split");
        }

        // Paused after LAUNCH_MEASURE (machine-init-done) in state launch-secret (SEV.md 2.5).
        if (request.StartPaused)
        {
            args.Add("-S");
        }

        return new SevLaunchPlan
        {
            Mode = request.Mode,
            Policy = policy,
            MachineProperties = machine,
            Arguments = args,
            VirtioDeviceProperties = VirtioIommuPlatform,
            KernelParameters = ["swiotlb=" + slabs.ToString(CultureInfo.InvariantCulture)],
            SwiotlbSlabs = slabs,
        };
    }
}
