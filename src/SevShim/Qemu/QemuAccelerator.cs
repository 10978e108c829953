namespace SevShim.Qemu;

/// <summary>How QEMU runs the guest's CPUs (QEMU's <c>-accel</c> names).</summary>
internal enum QemuAccelerator
{
    /// <summary>Hardware virtualisation through /dev/kvm; the only accelerator SEV works with.</summary>
    Kvm,

    /// <summary>QEMU's software emulator; used when /dev/kvm cannot run ordinary guests.</summary>
    Tcg,
}
