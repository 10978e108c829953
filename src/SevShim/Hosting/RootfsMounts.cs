using System.Globalization;
using System.Text;
using SevRuntime.Posix;

namespace SevShim.Hosting;

/// <summary>
/// Finds and detaches the mounts at or below a bundle's rootfs (the runc shim's delete unmounts
/// <c>&lt;bundle&gt;/rootfs</c> too: SHIM-PROTOCOL 4.3). Read from /proc/self/mountinfo, deepest
/// first, MNT_DETACH so a busy mount cannot make delete overrun containerd's 5 s.
/// </summary>
internal static class RootfsMounts
{
    /// <summary>Mount points at or under <paramref name="rootfs"/>, deepest first.</summary>
    public static IReadOnlyList<string> Under(string rootfs, IEnumerable<string> mountinfoLines)
    {
        ArgumentNullException.ThrowIfNull(mountinfoLines);
        var root = GoPath.Clean(rootfs);
        return mountinfoLines
            .Select(line => line.Split(' '))
            .Where(fields => fields.Length > 4)
            .Select(fields => Unescape(fields[4]))
            .Where(point => point == root || point.StartsWith(root + "/", StringComparison.Ordinal))
            .Distinct()
            .OrderByDescending(point => point.Length)
            .ToArray();
    }

    /// <summary>Unmounts everything under <paramref name="rootfs"/>; answers the failures as text.</summary>
    public static IReadOnlyList<string> UnmountAll(string rootfs)
    {
        if (!Directory.Exists(rootfs))
        {
            return [];
        }

        var failures = new List<string>();
        foreach (var point in Under(rootfs, File.ReadLines("/proc/self/mountinfo")))
        {
            if (Posix.umount2(point, Posix.MNT_DETACH) != 0)
            {
                failures.Add($"cannot unmount {point}: {Posix.LastError()}");
            }
        }

        return failures;
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as \ooo octal.</summary>
    public static string Unescape(string field)
    {
        ArgumentNullException.ThrowIfNull(field);
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var b = new StringBuilder();
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length
                && int.TryParse(field.AsSpan(i + 1, 3), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                b.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                b.Append(field[i]);
            }
        }

        return b.ToString();
    }
}
