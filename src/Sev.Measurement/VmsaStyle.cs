namespace Sev.Measurement;

/// <summary>
/// Which KVM initialisation produced the VMSA (SEV.md 2.1 "Why legacy-vm-type matters", 4.4).
/// The kernel copies FPU state into the VMSA only for KVM_SEV_INIT2 VMs, so the two styles differ
/// in MXCSR and the x87 control word.
/// </summary>
public enum VmsaStyle
{
    /// <summary>KVM_SEV_INIT2 (QEMU legacy-vm-type=off, host kernel 6.10+, and always for SNP): MXCSR=0x1F80, FCW=0x37F.</summary>
    Init2 = 0,

    /// <summary>Legacy KVM_SEV_ES_INIT (QEMU's default legacy-vm-type=auto/on): MXCSR=0, FCW=0, as sevctl's vmsa0/1.bin.</summary>
    Legacy = 1,
}
