namespace SevAgent.Native;

/// <summary>Reads /proc/self/mountinfo (proc(5): field 5 is the mount point, octal-escaped).</summary>
internal static class MountInfo
{
    /// <summary>True when <paramref name="path"/> is a mount point.</summary>
    public static bool IsMountPoint(string path) => MountPoints(File.ReadAllText("/proc/self/mountinfo")).Contains(path.TrimEnd('/') is { Length: > 0 } p ? p : "/");

    /// <summary>Every mount point listed in <paramref name="mountinfo"/>.</summary>
    public static HashSet<string> MountPoints(string mountinfo)
    {
        ArgumentNullException.ThrowIfNull(mountinfo);
        var points = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in mountinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            if (fields.Length > 4)
            {
                points.Add(fields[4].Replace("\\040", " ", StringComparison.Ordinal).Replace("\\011", "\t", StringComparison.Ordinal)
                    .Replace("\\012", "\n", StringComparison.Ordinal).Replace("\\134", "\\", StringComparison.Ordinal));
            }
        }

        return points;
    }
}
