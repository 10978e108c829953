namespace Sev.Interop;

/// <summary>KVM ioctl numbers (include/uapi/linux/kvm.h; KVMIO = 0xAE).</summary>
internal static class Kvm
{
    /// <summary>_IO(KVMIO, 0x00): returns KVM_API_VERSION.</summary>
    public const nuint GetApiVersion = 0xAE00;

    /// <summary>_IO(KVMIO, 0x01): creates a VM, returns its fd; the argument is the VM type (0 = default).</summary>
    public const nuint CreateVm = 0xAE01;

    /// <summary>_IOWR(KVMIO, 0xba, unsigned long): KVM_MEMORY_ENCRYPT_OP, which QEMU calls with NULL to see whether SEV is enabled.</summary>
    public const nuint MemoryEncryptOp = 0xC008AEBA;

    /// <summary>The stable API version every kernel since 2.6.22 reports.</summary>
    public const int ApiVersion = 12;
}
