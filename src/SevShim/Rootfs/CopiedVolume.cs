namespace SevShim.Rootfs;

/// <summary>
/// A host bind source that the guest gets as a copy (rootfs mode "block", ARCHITECTURE decision
/// 16): <paramref name="Name"/> is "&lt;container&gt;.&lt;n&gt;", the agent's name for the copy;
/// <paramref name="HostSource"/> the file or folder that is read (trusted: it comes from
/// containerd's spec, never from the guest); <paramref name="IsFile"/> when it is one file.
/// </summary>
internal sealed record CopiedVolume(string Name, string HostSource, bool IsFile)
{
    /// <summary>The bind is read-only ("ro" in its options): a disk image of it is mounted read-only in the guest.</summary>
    public bool ReadOnly { get; init; }
}
