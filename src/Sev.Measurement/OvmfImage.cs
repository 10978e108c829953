using System.Buffers.Binary;
using System.Globalization;

namespace Sev.Measurement;

/// <summary>
/// An OVMF firmware image and the SEV facts its GUIDed footer table declares (SEV.md 4.3, QEMU
/// docs/specs/sev-guest-firmware.rst): the hashes table area, the secret area, the SEV-ES AP reset
/// address and the SNP metadata sections. The whole file is kept because every launch digest
/// measures all of its bytes. Immutable after parsing; safe to share between threads.
/// </summary>
public sealed class OvmfImage
{
    /// <summary>The firmware is mapped so that it ends at 4 GiB (QEMU pc_sysfw / -bios).</summary>
    public const ulong FourGiB = 0x1_0000_0000;

    /// <summary>Largest image <see cref="Load"/> accepts; real OVMF builds are 2 to 4 MiB.</summary>
    public const long MaxImageSize = 64L * 1024 * 1024;

    // Layout of the image tail: [table entries][u16 len][footer GUID] then 32 bytes
    // (AP entry code, "\0\0\0\0VTF\0", reset vector). Each entry is [data][u16 len][GUID].
    private const int TailSize = 32;
    private const int EntryHeaderSize = 18;
    private const int SnpHeaderSize = 16;
    private const int SnpItemSize = 12;

    private readonly Dictionary<Guid, ReadOnlyMemory<byte>> _entries;

    private OvmfImage(
        ReadOnlyMemory<byte> data,
        bool hasFooter,
        List<OvmfFooterEntry> entries,
        Dictionary<Guid, ReadOnlyMemory<byte>> byGuid,
        SnpMetadataSection[]? snpSections)
    {
        Data = data;
        HasFooterTable = hasFooter;
        FooterEntries = entries;
        _entries = byGuid;
        HasSnpMetadata = snpSections is not null;
        SnpSections = snpSections ?? [];
        HashesTableArea = Area(OvmfGuids.SevHashTableBlock);
        SecretArea = Area(OvmfGuids.SevSecretBlock);
        SevEsResetAddress = U32(OvmfGuids.SevEsResetBlock);
    }

    /// <summary>Every byte of the firmware file.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    /// <summary>Length of the firmware file in bytes.</summary>
    public int Length => Data.Length;

    /// <summary>Guest-physical address of the first byte: 4 GiB minus the file length.</summary>
    public ulong Gpa => FourGiB - (ulong)Data.Length;

    /// <summary>True when the image ends with the footer table GUID; plain non-OVMF images do not.</summary>
    public bool HasFooterTable { get; }

    /// <summary>Footer entries in the order they were scanned (from the footer backwards).</summary>
    public IReadOnlyList<OvmfFooterEntry> FooterEntries { get; }

    /// <summary>The SEV hashes table area (entry 7255371f-…), or null when the entry is absent.</summary>
    public OvmfArea? HashesTableArea { get; }

    /// <summary>The SEV launch secret area (entry 4c2eb361-…), or null when absent.</summary>
    public OvmfArea? SecretArea { get; }

    /// <summary>The SEV-ES AP reset address (entry 00f771de-…), or null when absent.</summary>
    public uint? SevEsResetAddress { get; }

    /// <summary>True when the image carries SNP metadata (entry dc886566-… and a valid "ASEV" header).</summary>
    public bool HasSnpMetadata { get; }

    /// <summary>The SNP metadata sections in table order (empty without SNP metadata).</summary>
    public IReadOnlyList<SnpMetadataSection> SnpSections { get; }

    /// <summary>
    /// True when QEMU can place kernel hashes (kernel-hashes=on): the hashes table entry exists, its
    /// base is not 0 (plain OvmfPkgX64 builds declare 0/0) and it holds the 176-byte padded table.
    /// </summary>
    public bool SupportsKernelHashes =>
        HashesTableArea is { } a && a.Base != 0 && a.Size >= SevHashTable.PaddedSize;

    /// <summary>True when the SNP metadata has an SNP_KERNEL_HASHES section (measured direct boot under SNP).</summary>
    public bool SupportsSnpKernelHashes => SnpSections.Any(s => s.Type == SnpSectionType.SnpKernelHashes);

    /// <summary>The data of the first entry with <paramref name="id"/> seen from the footer, as QEMU looks it up.</summary>
    public bool TryGetEntry(Guid id, out ReadOnlyMemory<byte> data) => _entries.TryGetValue(id, out data);

    /// <summary>Reads and parses a firmware file.</summary>
    /// <exception cref="OvmfFormatException">The file is not a well-formed OVMF image.</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static OvmfImage Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var length = new FileInfo(path).Length;
        if (length > MaxImageSize)
        {
            throw new OvmfFormatException(
                $"firmware '{path}' is {length} bytes, larger than any OVMF image ({MaxImageSize} bytes): pass the OVMF.fd file");
        }

        return Parse(File.ReadAllBytes(path));
    }

    /// <summary>Parses a firmware image held in memory. The image is not copied.</summary>
    /// <exception cref="OvmfFormatException">The image is truncated or its tables are inconsistent.</exception>
    public static OvmfImage Parse(ReadOnlyMemory<byte> image)
    {
        var span = image.Span;
        if (span.Length < TailSize + EntryHeaderSize)
        {
            throw new OvmfFormatException(
                $"firmware image is {span.Length} bytes, too small to be an OVMF image (it needs at least {TailSize + EntryHeaderSize})");
        }

        var entries = new List<OvmfFooterEntry>();
        var byGuid = new Dictionary<Guid, ReadOnlyMemory<byte>>();
        var footerStart = span.Length - TailSize - EntryHeaderSize;
        var footerGuid = new Guid(span.Slice(footerStart + 2, 16));
        if (footerGuid != OvmfGuids.FooterTable)
        {
            // Not an OVMF build with a footer table (e.g. SeaBIOS): nothing SEV-specific to read.
            return new OvmfImage(image, false, entries, byGuid, null);
        }

        int tableLength = BinaryPrimitives.ReadUInt16LittleEndian(span.Slice(footerStart, 2));
        if (tableLength < EntryHeaderSize || tableLength - EntryHeaderSize > footerStart)
        {
            throw new OvmfFormatException(
                $"OVMF footer table length {tableLength} is invalid for a {span.Length}-byte image (it must be at least {EntryHeaderSize} and fit in the image): the firmware file is truncated or corrupt");
        }

        var tableStart = footerStart - (tableLength - EntryHeaderSize);
        var end = footerStart;
        while (end - tableStart >= EntryHeaderSize)
        {
            int entryLength = BinaryPrimitives.ReadUInt16LittleEndian(span.Slice(end - EntryHeaderSize, 2));
            var guid = new Guid(span.Slice(end - 16, 16));
            if (entryLength < EntryHeaderSize || entryLength > end - tableStart)
            {
                throw new OvmfFormatException(
                    $"OVMF footer table entry {guid} has length {entryLength}, outside 18..{end - tableStart}: the firmware file is corrupt");
            }

            var data = image.Slice(end - entryLength, entryLength - EntryHeaderSize);
            entries.Add(new OvmfFooterEntry(guid, data));

            // QEMU's pc_system_ovmf_table_find returns the first match scanning back from the footer.
            byGuid.TryAdd(guid, data);
            end -= entryLength;
        }

        if (end != tableStart)
        {
            throw new OvmfFormatException(
                $"OVMF footer table has {end - tableStart} stray bytes before its first entry: the firmware file is corrupt");
        }

        var snp = ParseSnpMetadata(span, byGuid);
        return new OvmfImage(image, true, entries, byGuid, snp);
    }

    private static SnpMetadataSection[]? ParseSnpMetadata(ReadOnlySpan<byte> span, Dictionary<Guid, ReadOnlyMemory<byte>> byGuid)
    {
        if (!byGuid.TryGetValue(OvmfGuids.SnpMetadata, out var entry))
        {
            return null;
        }

        var offsetFromEnd = ReadU32(entry.Span, OvmfGuids.SnpMetadata, "SNP metadata offset");
        if (offsetFromEnd < SnpHeaderSize || offsetFromEnd > (uint)span.Length)
        {
            throw new OvmfFormatException(
                $"OVMF SNP metadata offset {offsetFromEnd} (from the end) is outside the {span.Length}-byte image: the firmware file is truncated or corrupt");
        }

        var start = span.Length - (int)offsetFromEnd;
        var header = span.Slice(start, SnpHeaderSize);
        if (!header[..4].SequenceEqual("ASEV"u8))
        {
            throw new OvmfFormatException(
                $"OVMF SNP metadata at offset 0x{start:x} does not start with \"ASEV\": the firmware file is corrupt");
        }

        var size = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
        var version = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        var count = BinaryPrimitives.ReadUInt32LittleEndian(header[12..]);
        if (version != 1)
        {
            throw new OvmfFormatException(
                $"OVMF SNP metadata version {version} is not supported (only version 1 is known)");
        }

        var available = (ulong)(span.Length - start);
        var needed = SnpHeaderSize + ((ulong)count * SnpItemSize);
        if (size < needed || size > available)
        {
            throw new OvmfFormatException(string.Create(
                CultureInfo.InvariantCulture,
                $"OVMF SNP metadata declares size {size} and {count} sections, which needs {needed} bytes and must fit the {available} bytes left in the image: the firmware file is truncated or corrupt"));
        }

        var sections = new SnpMetadataSection[count];
        for (var i = 0; i < sections.Length; i++)
        {
            var item = span.Slice(start + SnpHeaderSize + (i * SnpItemSize), SnpItemSize);
            sections[i] = new SnpMetadataSection(
                BinaryPrimitives.ReadUInt32LittleEndian(item),
                BinaryPrimitives.ReadUInt32LittleEndian(item[4..]),
                (SnpSectionType)BinaryPrimitives.ReadUInt32LittleEndian(item[8..]));
        }

        return sections;
    }

    private static uint ReadU32(ReadOnlySpan<byte> data, Guid guid, string what)
    {
        if (data.Length < 4)
        {
            throw new OvmfFormatException(
                $"OVMF footer entry {guid} ({what}) holds {data.Length} bytes, fewer than the 4 it needs: the firmware file is corrupt");
        }

        return BinaryPrimitives.ReadUInt32LittleEndian(data);
    }

    private OvmfArea? Area(Guid guid)
    {
        if (!_entries.TryGetValue(guid, out var data))
        {
            return null;
        }

        if (data.Length < 8)
        {
            throw new OvmfFormatException(
                $"OVMF footer entry {guid} holds {data.Length} bytes, fewer than the 8 (base, size) it needs: the firmware file is corrupt");
        }

        var span = data.Span;
        return new OvmfArea(BinaryPrimitives.ReadUInt32LittleEndian(span), BinaryPrimitives.ReadUInt32LittleEndian(span[4..]));
    }

    private uint? U32(Guid guid) =>
        _entries.TryGetValue(guid, out var data) ? ReadU32(data.Span, guid, "SEV-ES reset address") : null;
}
