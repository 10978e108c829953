using System.Diagnostics;

namespace SevShim.IntegrationTests.Support;

/// <summary>
/// Looks at the host the way a leak check must: processes by command line, mounts from
/// /proc/self/mountinfo. Kills only pids the caller names (processes its own fixture started).
/// </summary>
public static class CtrHost
{
    /// <summary>Running processes whose NUL-separated command line (spaces here) contains <paramref name="needle"/>.</summary>
    public static IReadOnlyList<(int Pid, string CommandLine)> ProcessesWith(string needle)
    {
        var found = new List<(int, string)>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            string cmdline;
            try
            {
                cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ').Trim();
            }
            catch (IOException)
            {
                continue; // it ended while we looked
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            if (cmdline.Length > 0 && cmdline.Contains(needle, StringComparison.Ordinal) && !IsZombie(pid))
            {
                found.Add((pid, cmdline));
            }
        }

        return found;
    }

    /// <summary>True while /proc/&lt;pid&gt; exists and is not a zombie.</summary>
    public static bool IsAlive(int pid) => Directory.Exists($"/proc/{pid}") && !IsZombie(pid);

    /// <summary>SIGKILLs one pid; a pid that is already gone is fine.</summary>
    public static void Kill(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            process.Kill(entireProcessTree: false);
        }
        catch (ArgumentException)
        {
            // gone already
        }
        catch (InvalidOperationException)
        {
            // gone already
        }
    }

    /// <summary>Waits until <paramref name="pid"/> is gone; false when time runs out.</summary>
    public static async Task<bool> WaitGoneAsync(int pid, TimeSpan timeout) =>
        await CtrWait.UntilAsync(() => Task.FromResult(!IsAlive(pid)), timeout);

    /// <summary>Mount points (field 5 of mountinfo, unescaped) that contain <paramref name="needle"/>.</summary>
    public static IReadOnlyList<string> MountsWith(string needle) =>
        File.ReadAllLines("/proc/self/mountinfo")
            .Select(line => line.Split(' '))
            .Where(f => f.Length > 4)
            .Select(f => f[4].Replace("\\040", " ", StringComparison.Ordinal))
            .Where(m => m.Contains(needle, StringComparison.Ordinal))
            .ToList();

    /// <summary>Lazily unmounts every mount point containing <paramref name="needle"/>, deepest first.</summary>
    public static async Task UnmountAllAsync(string needle)
    {
        foreach (var mount in MountsWith(needle).Distinct().OrderByDescending(m => m.Length))
        {
            await using var umount = CtrCommand.Start("umount", ["-l", mount]);
            umount.CloseStdin();
            await umount.WaitAsync(TimeSpan.FromSeconds(60));
        }
    }

    private static bool IsZombie(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var close = stat.LastIndexOf(')');
            return close > 0 && close + 2 < stat.Length && stat[close + 2] is 'Z' or 'X';
        }
        catch (IOException)
        {
            return true;
        }
    }
}
