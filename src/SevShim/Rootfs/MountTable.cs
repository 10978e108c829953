using System.Text;

namespace SevShim.Rootfs;

/// <summary>
/// Reads the mount points of this process's mount namespace from /proc/self/mountinfo
/// (proc(5): field 5 is the mount point, with space, tab, newline and backslash escaped as
/// octal \ooo). Used to prove nothing is left mounted under a folder before it is removed:
/// deleting a folder with a bind mount below it would delete the host files behind the mount.
/// </summary>
internal static class MountTable
{
    /// <summary>The mount points at or below <paramref name="directory"/>.</summary>
    public static IReadOnlyList<string> MountPointsUnder(string directory, string mountInfoPath = "/proc/self/mountinfo")
    {
        var root = Path.TrimEndingDirectorySeparator(Path.GetFullPath(directory));
        return File.ReadAllLines(mountInfoPath)
            .Select(ParseMountPoint)
            .Where(p => p is not null && (p == root || p.StartsWith(root + "/", StringComparison.Ordinal)))
            .Select(p => p!)
            .ToList();
    }

    /// <summary>Field 5 of one mountinfo line, unescaped; null for a malformed line.</summary>
    public static string? ParseMountPoint(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var fields = line.Split(' ');
        return fields.Length < 5 ? null : Unescape(fields[4]);
    }

    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var sb = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && field.AsSpan(i + 1, 3).ContainsAnyExceptInRange('0', '7') is false)
            {
                sb.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                sb.Append(field[i]);
            }
        }

        return sb.ToString();
    }
}
