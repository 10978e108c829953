using SevRuntime.Posix;

namespace SevShim.Rootfs;

/// <summary>
/// Splits mount option words the way mount(8) and containerd's mount package do: flag words
/// become MS_* bits, everything else is file-system data (e.g. overlay's lowerdir=...).
/// </summary>
internal static class MountOptions
{
    private static readonly Dictionary<string, (ulong Set, ulong Clear)> Flags = new(StringComparer.Ordinal)
    {
        ["ro"] = (Posix.MS_RDONLY, 0),
        ["rw"] = (0, Posix.MS_RDONLY),
        ["nosuid"] = (Posix.MS_NOSUID, 0),
        ["suid"] = (0, Posix.MS_NOSUID),
        ["nodev"] = (Posix.MS_NODEV, 0),
        ["dev"] = (0, Posix.MS_NODEV),
        ["noexec"] = (Posix.MS_NOEXEC, 0),
        ["exec"] = (0, Posix.MS_NOEXEC),
        ["bind"] = (Posix.MS_BIND, 0),
        ["rbind"] = (Posix.MS_BIND | Posix.MS_REC, 0),
    };

    // Propagation and atime words change nothing the guest can see through 9p: dropped.
    private static readonly HashSet<string> Ignored =
        ["private", "rprivate", "shared", "rshared", "slave", "rslave", "unbindable", "runbindable", "defaults", "relatime", "norelatime", "noatime", "atime", "strictatime", "nodiratime", "diratime"];

    /// <summary>The MS_* flags and the remaining data string (null when empty).</summary>
    public static (ulong Flags, string? Data) Parse(IEnumerable<string> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ulong flags = 0;
        var data = new List<string>();
        foreach (var option in options)
        {
            if (Flags.TryGetValue(option, out var f))
            {
                flags = (flags | f.Set) & ~f.Clear;
            }
            else if (!Ignored.Contains(option) && option.Length > 0)
            {
                data.Add(option);
            }
        }

        return (flags, data.Count == 0 ? null : string.Join(',', data));
    }

    /// <summary>True when the options or type make a bind mount.</summary>
    public static bool IsBind(string? type, IEnumerable<string> options) =>
        type == "bind" || options.Any(o => o is "bind" or "rbind");
}
