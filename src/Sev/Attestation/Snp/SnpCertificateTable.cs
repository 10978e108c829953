using System.Buffers.Binary;

namespace Sev.Attestation.Snp;

/// <summary>
/// The certificate table a host hands an SNP guest with its report (GHCB specification, "SNP
/// Extended Guest Request": entries of GUID, offset, length, ending with an all-zero entry; the
/// offsets count from the table's start), as configfs-tsm's auxblob carries it. It comes from the
/// host through the guest, so it is parsed with every bound checked and trusted for nothing: a
/// certificate found here still has to verify under the operator's ARK.
/// </summary>
public static class SnpCertificateTable
{
    /// <summary>The VCEK entry's GUID.</summary>
    public static readonly Guid Vcek = new("63da758d-e664-4564-adc5-f4b93be8accd");

    /// <summary>The ASK entry's GUID.</summary>
    public static readonly Guid Ask = new("4ab7b379-bbac-4fe4-a02f-05aef327c782");

    /// <summary>The ARK entry's GUID.</summary>
    public static readonly Guid Ark = new("c0b406a4-a803-4952-9743-3fb6014cd0ae");

    private const int EntrySize = 24;

    // At most this many entries are read: the GHCB table has a handful.
    private const int MaxEntries = 64;

    /// <summary>The certificates by GUID; an empty input is an empty table. Malformed input is a <see cref="SnpCheck.Chain"/> refusal.</summary>
    public static IReadOnlyDictionary<Guid, byte[]> Parse(ReadOnlySpan<byte> table)
    {
        var entries = new Dictionary<Guid, byte[]>();
        for (var i = 0; table.Length > 0; i++)
        {
            var at = i * EntrySize;
            if (i >= MaxEntries || at + EntrySize > table.Length)
            {
                throw new SnpVerificationException(SnpCheck.Chain, $"the host's certificate table has no terminating entry within {Math.Min(MaxEntries, table.Length / EntrySize)} entries");
            }

            var entry = table.Slice(at, EntrySize);
            if (!entry.ContainsAnyExcept((byte)0))
            {
                break;
            }

            var guid = new Guid(entry[..16]);
            var offset = BinaryPrimitives.ReadUInt32LittleEndian(entry[16..]);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(entry[20..]);
            if (offset > table.Length || length > table.Length - offset)
            {
                throw new SnpVerificationException(SnpCheck.Chain, $"the host's certificate table entry {guid} points outside the table ({offset} + {length} > {table.Length})");
            }

            entries[guid] = table.Slice((int)offset, (int)length).ToArray();
        }

        return entries;
    }
}
