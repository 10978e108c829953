using System.Buffers.Binary;

namespace Sev.Measurement;

/// <summary>
/// Builds the SEV hashes table exactly as QEMU's sev_add_kernel_loader_hashes lays it out
/// (SEV.md 4.2): packed header {GUID 9438d606-…, u16 168}, then the entries cmdline, initrd,
/// kernel, each {GUID, u16 50, SHA-256}, then zero padding to a 16-byte multiple (176 bytes)
/// because LAUNCH_UPDATE_DATA needs 16-byte multiples. GUIDs use the little-endian EFI layout.
/// </summary>
public static class SevHashTable
{
    /// <summary>Size of one entry: GUID(16) + u16 length + SHA-256(32).</summary>
    public const int EntrySize = 50;

    /// <summary>Size of the packed table, written into its own length field.</summary>
    public const int Size = 16 + 2 + (3 * EntrySize);

    /// <summary>Size of the table padded to 16 bytes: what is measured.</summary>
    public const int PaddedSize = (Size + 15) & ~15;

    /// <summary>Builds the padded table from the three SHA-256 hashes.</summary>
    public static byte[] Build(ReadOnlySpan<byte> cmdlineSha256, ReadOnlySpan<byte> initrdSha256, ReadOnlySpan<byte> kernelSha256)
    {
        var table = new byte[PaddedSize];
        var span = table.AsSpan();
        WriteHeader(span, OvmfGuids.HashTableHeader, Size);
        WriteEntry(span[18..], OvmfGuids.HashTableCmdline, cmdlineSha256);
        WriteEntry(span[(18 + EntrySize)..], OvmfGuids.HashTableInitrd, initrdSha256);
        WriteEntry(span[(18 + (2 * EntrySize))..], OvmfGuids.HashTableKernel, kernelSha256);
        return table;
    }

    /// <summary>
    /// The SNP_KERNEL_HASHES page: a zero page of <paramref name="pageSize"/> bytes with the padded
    /// table at <paramref name="offsetInPage"/> (the hashes table base &amp; 0xFFF; SEV.md 4.2).
    /// </summary>
    public static byte[] BuildPage(byte[] paddedTable, int offsetInPage, int pageSize = 4096)
    {
        ArgumentNullException.ThrowIfNull(paddedTable);
        if (offsetInPage < 0 || offsetInPage + paddedTable.Length > pageSize)
        {
            throw new MeasurementException(
                $"the SEV hashes table ({paddedTable.Length} bytes at offset 0x{offsetInPage:x}) does not fit in the {pageSize}-byte SNP_KERNEL_HASHES page: the firmware's hashes table entry is inconsistent with its SNP metadata");
        }

        var page = new byte[pageSize];
        paddedTable.CopyTo(page, offsetInPage);
        return page;
    }

    private static void WriteHeader(Span<byte> dest, Guid guid, int length)
    {
        if (!guid.TryWriteBytes(dest))
        {
            throw new InvalidOperationException("table buffer too small");
        }

        BinaryPrimitives.WriteUInt16LittleEndian(dest[16..], (ushort)length);
    }

    private static void WriteEntry(Span<byte> dest, Guid guid, ReadOnlySpan<byte> sha256)
    {
        if (sha256.Length != 32)
        {
            throw new ArgumentException($"a SEV hashes table entry needs a 32-byte SHA-256, got {sha256.Length} bytes", nameof(sha256));
        }

        WriteHeader(dest, guid, EntrySize);
        sha256.CopyTo(dest[18..]);
    }
}
