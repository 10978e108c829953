namespace SevShim.IntegrationTests;

/// <summary>Finds running shim processes through /proc (the binary's real path, so symlinks do not hide them).</summary>
internal static class ShimProcesses
{
    /// <summary>Pids whose executable is <paramref name="binary"/> and whose command line mentions <paramref name="marker"/>.</summary>
    public static IReadOnlyList<int> Find(string binary, string marker)
    {
        var real = Path.GetFullPath(new FileInfo(binary).ResolveLinkTarget(true)?.FullName ?? binary);
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                // A binary replaced by a rebuild shows as "<path> (deleted)"; it is still ours.
                var exe = new FileInfo(Path.Combine(dir, "exe")).ResolveLinkTarget(false)?.FullName?.Replace(" (deleted)", string.Empty, StringComparison.Ordinal);
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (exe == real && cmdline.Contains(marker, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The process exited while we looked.
            }
        }

        return found;
    }
}
