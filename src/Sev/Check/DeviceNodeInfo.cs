namespace Sev.Check;

/// <summary>What the check needs to know about a device node such as /dev/sev.</summary>
/// <param name="IsCharacterDevice">True for a character device (what the ccp driver creates).</param>
/// <param name="Owner">Owning user name (or numeric uid when it has no name).</param>
/// <param name="Group">Owning group name (or numeric gid).</param>
/// <param name="Mode">Permission bits.</param>
/// <param name="ReadWriteAccess">True when this process may open it O_RDWR, as QEMU does.</param>
public sealed record DeviceNodeInfo(bool IsCharacterDevice, string Owner, string Group, UnixFileMode Mode, bool ReadWriteAccess)
{
    /// <summary>Permissions in octal, e.g. 0660.</summary>
    public string OctalMode => "0" + Convert.ToString((int)Mode & 0xfff, 8);
}
