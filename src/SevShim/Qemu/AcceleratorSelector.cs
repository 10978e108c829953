using SevShim.Errors;

namespace SevShim.Qemu;

/// <summary>
/// KVM when /dev/kvm can run an ordinary guest, else TCG (ARCHITECTURE decision 4). /dev/kvm alone
/// proves nothing: on the development machines it belongs to the kvm_pvm module, which runs only
/// PVM-enabled guest kernels, and QEMU with accel=kvm then fails ("failed to set MSR") or hangs
/// (ARCHITECTURE "Facts measured"). So KVM is chosen only when a hardware vendor module
/// (kvm_amd or kvm_intel) is loaded and kvm_pvm is not. A confidential pod needs KVM (SEV runs
/// only under kvm_amd) and is refused here rather than silently emulated unencrypted.
/// </summary>
internal static class AcceleratorSelector
{
    /// <summary>Picks the accelerator; <paramref name="exists"/> answers whether a host path exists (injected for tests).</summary>
    public static AcceleratorChoice Select(bool confidential, Func<string, bool> exists)
    {
        ArgumentNullException.ThrowIfNull(exists);
        string? gap = null;
        if (!exists("/dev/kvm"))
        {
            gap = "/dev/kvm does not exist";
        }
        else if (exists("/sys/module/kvm_pvm"))
        {
            gap = "/dev/kvm belongs to the kvm_pvm module, which runs only PVM-enabled guest kernels";
        }
        else if (!exists("/sys/module/kvm_amd") && !exists("/sys/module/kvm_intel"))
        {
            gap = "neither kvm_amd nor kvm_intel is loaded";
        }

        if (gap is null)
        {
            return new AcceleratorChoice(QemuAccelerator.Kvm, "KVM: /dev/kvm with a hardware vendor module");
        }

        if (confidential)
        {
            throw new ShimException(
                ShimErrorKind.FailedPrecondition,
                $"sevshim: a confidential pod needs KVM with kvm_amd, but {gap}; run `containerd-shim-sevshim-v2 check` for the fix, or set confidential.mode = \"none\" to run unencrypted");
        }

        return new AcceleratorChoice(QemuAccelerator.Tcg, $"TCG (software emulation, slow): {gap}");
    }

    /// <summary>Selects against the real host.</summary>
    public static AcceleratorChoice SelectForHost(bool confidential) =>
        Select(confidential, p => File.Exists(p) || Directory.Exists(p));
}
