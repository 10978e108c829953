using Sev.Launch;

namespace SevShim.Qemu;

/// <summary>
/// Everything the QEMU command line of one pod VM is made from: the configuration's VM shape
/// and guest image, the pod's state paths and, for a confidential pod, src/Sev's launch plan
/// (its SEV fragments; null for mode "none").
/// <paramref name="KernelCommandLine"/> is complete (guest image manifest plus confidential
/// parameters are joined by the caller). <paramref name="Nics"/>: the pod network's NICs, in
/// order (none: the guest has only lo). <paramref name="ShareFolder"/>: the pod's virtio-9p share
/// of <see cref="PodStateLayout.ShareDirectory"/> is attached (rootfs mode "shared" only; a
/// confidential pod never gets one, decision 7). <paramref name="DataDirectory"/>: the QEMU's own
/// ROM folder, passed with -L ahead of its built-in ones (<see cref="global::Qemu.QemuBinary.DataDirectory"/>).
/// </summary>
internal sealed record QemuVmSpec(
    string SandboxId,
    QemuAccelerator Accelerator,
    int Vcpus,
    int MemoryMib,
    string KernelPath,
    string InitrdPath,
    string KernelCommandLine,
    PodStateLayout State,
    SevLaunchPlan? Confidential,
    IReadOnlyList<QemuNic>? Nics = null,
    bool ShareFolder = false,
    string? DataDirectory = null);
