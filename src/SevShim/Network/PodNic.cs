using Microsoft.Win32.SafeHandles;

namespace SevShim.Network;

/// <summary>
/// A CNI interface wired to its tap: the tap's open file descriptor, which QEMU's virtio-net
/// reads and writes (<c>-netdev tap,fd=…</c>). Ownership: <see cref="PodNetwork"/> owns the fd
/// and closes it at release; QEMU holds its own inherited copy.
/// </summary>
internal sealed record PodNic(PodInterface Interface, string TapName, int TapIndex, SafeFileHandle TapFd);
