namespace SevShim.Qemu;

/// <summary>The accelerator picked for a pod and the sentence the shim logs about why.</summary>
internal sealed record AcceleratorChoice(QemuAccelerator Accelerator, string Reason);
