using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Sev.Measurement;

/// <summary>
/// The SNP launch digest chain (SEV.md 4.5): for every page, in launch order,
/// LD = SHA-384(PAGE_INFO) with PAGE_INFO = LD_prev(48) ‖ contents(48) ‖ u16 0x70 ‖ u8 type ‖
/// u8 is_imi(0) ‖ u8 vmpl3/2/1 perms(0) ‖ u8 0 ‖ u64 GPA. Not thread-safe: one context per digest.
/// Hashing works on spans and stack buffers, so a 4 MiB firmware costs no per-page allocation.
/// </summary>
public sealed class SnpGuestContext
{
    /// <summary>Size of an SNP launch digest (SHA-384).</summary>
    public const int DigestSize = 48;

    /// <summary>Size of a PAGE_INFO structure.</summary>
    public const int PageInfoSize = 0x70;

    /// <summary>Size of a guest page.</summary>
    public const int PageSize = 4096;

    /// <summary>The RMP records a VMSA at GPA -1, page-aligned with the bits above 51 cleared.</summary>
    public const ulong VmsaGpa = 0xFFFFFFFFF000;

    private readonly byte[] _ld = new byte[DigestSize];

    /// <summary>Starts from 48 zero bytes, or from <paramref name="seed"/> (a precomputed "OVMF hash").</summary>
    public SnpGuestContext(ReadOnlySpan<byte> seed = default)
    {
        if (!seed.IsEmpty)
        {
            if (seed.Length != DigestSize)
            {
                throw new ArgumentException($"an SNP launch digest seed is {DigestSize} bytes, got {seed.Length}", nameof(seed));
            }

            seed.CopyTo(_ld);
        }
    }

    /// <summary>The current launch digest (a copy).</summary>
    public byte[] Digest => (byte[])_ld.Clone();

    /// <summary>Measures <paramref name="data"/> as consecutive NORMAL pages starting at <paramref name="gpa"/>.</summary>
    public void UpdateNormalPages(ulong gpa, ReadOnlySpan<byte> data)
    {
        RequirePages(data.Length, "data");
        Span<byte> contents = stackalloc byte[DigestSize];
        for (var offset = 0; offset < data.Length; offset += PageSize)
        {
            SHA384.HashData(data.Slice(offset, PageSize), contents);
            Update(SnpPageType.Normal, gpa + (ulong)offset, contents);
        }
    }

    /// <summary>Measures one VMSA page.</summary>
    public void UpdateVmsaPage(ReadOnlySpan<byte> vmsa)
    {
        if (vmsa.Length != PageSize)
        {
            throw new ArgumentException($"a VMSA page is {PageSize} bytes, got {vmsa.Length}", nameof(vmsa));
        }

        Span<byte> contents = stackalloc byte[DigestSize];
        SHA384.HashData(vmsa, contents);
        Update(SnpPageType.Vmsa, VmsaGpa, contents);
    }

    /// <summary>Records <paramref name="length"/> bytes of pages of a contents-less type (ZERO or UNMEASURED).</summary>
    public void UpdateEmptyPages(SnpPageType type, ulong gpa, long length)
    {
        RequirePages(length, "length");
        Span<byte> zeros = stackalloc byte[DigestSize];
        zeros.Clear();
        for (long offset = 0; offset < length; offset += PageSize)
        {
            Update(type, gpa + (ulong)offset, zeros);
        }
    }

    /// <summary>Records one page of a contents-less type (SECRETS or CPUID).</summary>
    public void UpdateEmptyPage(SnpPageType type, ulong gpa) => UpdateEmptyPages(type, gpa, PageSize);

    private void Update(SnpPageType type, ulong gpa, ReadOnlySpan<byte> contents)
    {
        Span<byte> info = stackalloc byte[PageInfoSize];
        info.Clear();
        _ld.CopyTo(info);
        contents.CopyTo(info[DigestSize..]);
        BinaryPrimitives.WriteUInt16LittleEndian(info[0x60..], PageInfoSize);
        info[0x62] = (byte)type;

        // 0x63 is_imi, 0x64..0x66 VMPL3/2/1 permissions and 0x67 reserved stay 0.
        BinaryPrimitives.WriteUInt64LittleEndian(info[0x68..], gpa);
        SHA384.HashData(info, _ld);
    }

    private static void RequirePages(long length, string name)
    {
        if (length % PageSize != 0)
        {
            throw new MeasurementException($"SNP measures whole 4 KiB pages, but the {name} is {length} bytes (not a multiple of {PageSize})");
        }
    }
}
