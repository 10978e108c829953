namespace Sev.Check;

/// <summary>
/// The host readiness check (ARCHITECTURE decision 12, SEV.md 0-1): CPU, kernel, KVM, /dev/sev,
/// QEMU and OVMF, item by item, with the fix for the detected distribution.
/// All reads go through <see cref="IHostProbe"/>.
/// </summary>
public static class HostCheck
{
    /// <summary>Runs every item. Never throws for host problems: they become items.</summary>
    public static async Task<HostReport> RunAsync(IHostProbe probe, SevCheckOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(options);
        var distro = Distribution.FromOsRelease(probe.ReadText(HostPaths.OsRelease));
        var fix = new FixAdvice(distro);
        var items = new List<CheckItem>();

        var cpu = CpuFacts.Read(probe);
        items.AddRange(CpuChecks.Items(cpu));

        items.Add(KernelChecks.MemEncrypt(probe, fix));
        items.Add(KernelChecks.KernelVersion(probe));
        var module = KernelChecks.DetectModule(probe);
        items.Add(KernelChecks.Module(module));
        items.Add(KernelChecks.KvmAmdParameter(probe, module, "sev", [SevMode.Sev, SevMode.SevEs, SevMode.SevSnp], fix));
        items.Add(KernelChecks.KvmAmdParameter(probe, module, "sev_es", [SevMode.SevEs, SevMode.SevSnp], fix));
        items.Add(KernelChecks.KvmAmdParameter(probe, module, "sev_snp", [SevMode.SevSnp], fix));
        items.Add(KernelChecks.SevDevice(probe));

        var kvm = probe.ProbeKvm(HostPaths.DevKvm);
        var kvmItem = KernelChecks.KvmDevice(kvm, module);
        var kvmUsable = kvmItem.Status == CheckStatus.Ok;
        items.Add(kvmItem);
        items.Add(KernelChecks.KvmSev(kvm, kvmUsable, fix));

        // QEMU is probed with KVM only when /dev/kvm runs ordinary guests: with a PVM /dev/kvm
        // QEMU -accel kvm fails or hangs (ARCHITECTURE "Facts measured").
        var qemu = await probe.ProbeQemuAsync(options.QemuBinary, kvmUsable, cancellationToken);
        var binaries = await QemuBinaries.ProbeAsync(probe, options, qemu, cancellationToken);
        items.Add(QemuChecks.Version(qemu, options.QemuBinary, fix));
        items.Add(QemuChecks.SevObject(qemu, fix));
        items.Add(QemuChecks.SnpObject(qemu, binaries, fix));
        items.Add(QemuChecks.Capabilities(qemu, cpu.CBitPosition));

        var (hashes, snpMetadata) = QemuChecks.Firmware(probe, options.FirmwarePath, fix);
        items.Add(hashes);
        items.Add(snpMetadata);

        var facts = new SevHostFacts(
            cpu.CBitPosition ?? qemu.Capabilities?.CBitPosition,
            cpu.ReducedPhysBits,
            1,
            cpu.EncryptedGuests,
            cpu.MinSevAsid,
            qemu.Version,
            kvmUsable,
            qemu.Objects);
        return new HostReport(distro, items, facts, binaries);
    }
}
