namespace SevShim.Qemu;

/// <summary>
/// One virtio-net NIC of a pod VM: QEMU's tap backend reads the already open tap <see cref="Fd"/>
/// (inherited by QEMU, <see cref="QemuProcess.StartAsync"/>) and the guest sees <see cref="Mac"/>
/// (aa:bb:cc:dd:ee:ff), which is CNI's interface's. <see cref="Fd"/> is a command-line value, the
/// number QEMU finds the tap under: the sandbox's SafeFileHandle owns the descriptor, and
/// QemuProcess clears its close-on-exec flag only for the moment QEMU is spawned.
/// </summary>
internal sealed record QemuNic(string Id, int Fd, string Mac);
