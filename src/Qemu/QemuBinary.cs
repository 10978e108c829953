namespace Qemu;

/// <summary>Locates QEMU executables.</summary>
public static class QemuBinary
{
    /// <summary>The system emulator the shim runs.</summary>
    public const string DefaultName = "qemu-system-x86_64";

    /// <summary>
    /// Resolves <paramref name="nameOrPath"/>: a path containing '/' is taken as is (if it exists);
    /// a bare name is searched on PATH and then in the usual bin folders. Null when not found.
    /// </summary>
    public static string? Resolve(string nameOrPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(nameOrPath);
        if (nameOrPath.Contains('/', StringComparison.Ordinal))
        {
            return File.Exists(nameOrPath) ? Path.GetFullPath(nameOrPath) : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        var dirs = path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/bin", "/usr/bin", "/usr/libexec", "/bin"]);
        return dirs.Select(d => Path.Combine(d, nameOrPath)).FirstOrDefault(File.Exists);
    }
}
