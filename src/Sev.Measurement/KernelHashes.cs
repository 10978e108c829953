using System.Security.Cryptography;
using System.Text;

namespace Sev.Measurement;

/// <summary>
/// The three SHA-256 hashes QEMU puts in the SEV hashes table for measured direct boot
/// (kernel-hashes=on; SEV.md 4.2, pitfalls 3 and 4): the kernel file as given, the initrd file
/// (SHA-256 of the empty input when there is none) and the command line's UTF-8 bytes plus one
/// NUL (just "\0" when there is no -append). Immutable.
/// </summary>
public sealed class KernelHashes
{
    private readonly byte[] _kernel;
    private readonly byte[] _initrd;
    private readonly byte[] _cmdline;

    private KernelHashes(byte[] kernel, byte[] initrd, byte[] cmdline)
    {
        _kernel = kernel;
        _initrd = initrd;
        _cmdline = cmdline;
    }

    /// <summary>SHA-256 of the kernel file.</summary>
    public ReadOnlySpan<byte> Kernel => _kernel;

    /// <summary>SHA-256 of the initrd file, or of the empty input.</summary>
    public ReadOnlySpan<byte> Initrd => _initrd;

    /// <summary>SHA-256 of the command line bytes and the trailing NUL.</summary>
    public ReadOnlySpan<byte> Cmdline => _cmdline;

    /// <summary>Hashes the kernel and initrd files (streamed, so large files are fine) and the command line.</summary>
    /// <param name="kernelPath">The -kernel file.</param>
    /// <param name="initrdPath">The -initrd file, or null when QEMU gets none.</param>
    /// <param name="append">The exact -append string, or null when QEMU gets none.</param>
    public static KernelHashes FromFiles(string kernelPath, string? initrdPath, string? append)
    {
        ArgumentException.ThrowIfNullOrEmpty(kernelPath);
        return new KernelHashes(HashFile(kernelPath), initrdPath is null ? SHA256.HashData([]) : HashFile(initrdPath), HashCmdline(append));
    }

    /// <summary>Hashes in-memory kernel and initrd contents and the command line.</summary>
    public static KernelHashes FromContents(ReadOnlySpan<byte> kernel, ReadOnlySpan<byte> initrd, string? append) =>
        new(SHA256.HashData(kernel), SHA256.HashData(initrd), HashCmdline(append));

    /// <summary>The 176-byte padded table QEMU measures (SEV/SEV-ES) or places in the SNP hashes page.</summary>
    public byte[] ToTable() => SevHashTable.Build(_cmdline, _initrd, _kernel);

    private static byte[] HashCmdline(string? append)
    {
        // QEMU hashes the string with its terminating NUL; an absent or empty -append is just "\0".
        var text = append ?? string.Empty;
        var bytes = new byte[Encoding.UTF8.GetByteCount(text) + 1];
        Encoding.UTF8.GetBytes(text, bytes);
        return SHA256.HashData(bytes);
    }

    private static byte[] HashFile(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        return SHA256.HashData(stream);
    }
}
