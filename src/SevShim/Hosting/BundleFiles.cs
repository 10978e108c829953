using System.Text;
using SevRuntime.Posix;

namespace SevShim.Hosting;

/// <summary>Files the hosting side reads and writes in a bundle directory (SHIM-PROTOCOL 4.2-4.5).</summary>
internal static class BundleFiles
{
    /// <summary>Where containerd 1.6 (and 2.x without bootstrap.json) finds the shim after a restart.</summary>
    public const string AddressFile = "address";

    /// <summary>The FIFO containerd opened O_RDWR before start; it copies what we write into its log.</summary>
    public const string LogFifo = "log";

    /// <summary>
    /// Writes the address file as the Go shim does: a temporary <c>.address</c>, then rename(2), so
    /// a reader never sees a partial address. No trailing newline.
    /// </summary>
    public static void WriteAddress(string bundleDir, string address)
    {
        var temp = Path.Combine(bundleDir, "." + AddressFile);
        File.WriteAllText(temp, address);
        File.Move(temp, Path.Combine(bundleDir, AddressFile), overwrite: true);
    }

    /// <summary>The address file's content, or null when it is absent or unreadable.</summary>
    public static string? ReadAddress(string bundleDir)
    {
        try
        {
            return File.ReadAllText(Path.Combine(bundleDir, AddressFile)).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>
    /// Appends one line to the bundle's log FIFO without ever blocking: opened O_NONBLOCK (fails
    /// with ENXIO when no reader has it open, i.e. containerd is gone) and written once; a full
    /// pipe drops the line. Answers whether the line was written.
    /// </summary>
    public static unsafe bool TryLogLine(string bundleDir, string line)
    {
        using var handle = Posix.OpenHandle(Path.Combine(bundleDir, LogFifo), Posix.O_WRONLY | Posix.O_NONBLOCK | Posix.O_CLOEXEC);
        if (handle.IsInvalid)
        {
            return false;
        }

        var bytes = Encoding.UTF8.GetBytes(line.EndsWith('\n') ? line : line + "\n");
        using var fd = FdLease.Of(handle);
        fixed (byte* p = bytes)
        {
            return Posix.write(fd.Value, p, (nuint)bytes.Length) == bytes.Length;
        }
    }
}
