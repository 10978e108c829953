using Qemu;

namespace Sev.Check;

/// <summary>Host values the launch plan needs, collected by the check.</summary>
/// <param name="CBitPosition">CPUID 0x8000001F EBX[5:0] (QEMU rejects any other cbitpos), or null.</param>
/// <param name="CpuidReducedPhysBits">CPUID 0x8000001F EBX[11:6], reported for information.</param>
/// <param name="ReducedPhysBits">The value to give QEMU: 1, as QEMU's own query-sev-capabilities, libvirt and AMD's scripts do (SEV.md 1.1).</param>
/// <param name="MaxEncryptedGuests">CPUID ECX: encrypted guests at once (max ASID).</param>
/// <param name="MinSevAsid">CPUID EDX: first ASID for SEV-only guests; lower ones are for SEV-ES/SNP.</param>
/// <param name="Qemu">QEMU's version, or null when unknown.</param>
/// <param name="KvmUsable">/dev/kvm can run ordinary guests (kvm_amd or kvm_intel).</param>
/// <param name="QemuObjects">The SEV objects the configured QEMU reported, or null when unknown (the planner then falls back to the version).</param>
public sealed record SevHostFacts(
    int? CBitPosition,
    int? CpuidReducedPhysBits,
    int ReducedPhysBits,
    uint? MaxEncryptedGuests,
    uint? MinSevAsid,
    QemuVersionInfo? Qemu,
    bool KvmUsable,
    QemuSevObjects? QemuObjects = null);
