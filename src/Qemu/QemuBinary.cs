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

    /// <summary>
    /// The data folder (ROMs, keymaps) of the QEMU at <paramref name="binaryPath"/> when it sits
    /// beside the binary (&lt;prefix&gt;/bin/.. /share/qemu) somewhere other than /usr: null for a
    /// system QEMU, which finds its own. Why: bookworm-backports' QEMU 10, unpacked privately by
    /// scripts/qemu-backports.sh, is built non-relocatable (its <c>-L help</c> lists /usr/share/qemu
    /// only), so without -L it loads the system QEMU 7.2's linuxboot_dma.bin and friends, or none
    /// when the system has no QEMU.
    /// </summary>
    public static string? DataDirectory(string binaryPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(binaryPath);
        var bin = Path.GetDirectoryName(Path.GetFullPath(binaryPath));
        if (bin is null)
        {
            return null;
        }

        var data = Path.GetFullPath(Path.Combine(bin, "..", "share", "qemu"));
        return data != SystemDataDirectory && Directory.Exists(data) ? data : null;
    }

    private const string SystemDataDirectory = "/usr/share/qemu";
}
