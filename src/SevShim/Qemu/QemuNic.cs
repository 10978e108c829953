namespace SevShim.Qemu;

/// <summary>
/// One virtio-net NIC of a pod VM: QEMU's tap backend reads the already open tap <see cref="Fd"/>
/// (inherited by QEMU, <see cref="QemuProcess.StartAsync"/>) and the guest sees <see cref="Mac"/>
/// (aa:bb:cc:dd:ee:ff), which is CNI's interface's.
/// </summary>
internal sealed record QemuNic(string Id, int Fd, string Mac);
