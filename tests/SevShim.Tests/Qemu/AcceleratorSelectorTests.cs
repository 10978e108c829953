using SevShim.Errors;
using SevShim.Qemu;

namespace SevShim.Tests.Qemu;

public sealed class AcceleratorSelectorTests
{
    private static Func<string, bool> Host(params string[] present) => p => present.Contains(p);

    [Fact]
    public void KvmWithAVendorModule() =>
        Assert.Equal(QemuAccelerator.Kvm, AcceleratorSelector.Select(false, Host("/dev/kvm", "/sys/module/kvm_amd")).Accelerator);

    [Fact]
    public void PvmModuleMeansTcg()
    {
        var choice = AcceleratorSelector.Select(false, Host("/dev/kvm", "/sys/module/kvm_pvm", "/sys/module/kvm_intel"));
        Assert.Equal(QemuAccelerator.Tcg, choice.Accelerator);
        Assert.Contains("kvm_pvm", choice.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void NoDeviceMeansTcg() =>
        Assert.Equal(QemuAccelerator.Tcg, AcceleratorSelector.Select(false, Host()).Accelerator);

    [Fact]
    public void ConfidentialWithoutKvmIsRefusedWithTheFix()
    {
        var ex = Assert.Throws<ShimException>(() => AcceleratorSelector.Select(true, Host("/dev/kvm", "/sys/module/kvm_pvm")));
        Assert.Equal(ShimErrorKind.FailedPrecondition, ex.Kind);
        Assert.Contains("confidential.mode", ex.Message, StringComparison.Ordinal);
    }
}
