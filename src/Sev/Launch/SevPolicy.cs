using System.Globalization;

namespace Sev.Launch;

/// <summary>
/// Guest policies (SEV.md 3): the defaults of ARCHITECTURE decision 8 and the bit rules an
/// override must follow.
/// </summary>
public static class SevPolicy
{
    /// <summary>SEV: NODBG | NOKS.</summary>
    public const ulong SevDefault = 0x3;

    /// <summary>SEV-ES: NODBG | NOKS | ES.</summary>
    public const ulong SevEsDefault = 0x7;

    /// <summary>SNP: SMT allowed (bit 16) plus reserved bit 17, which must be 1 (QEMU's default).</summary>
    public const ulong SnpDefault = 0x30000;

    /// <summary>SEV/SEV-ES policy bit 2: launch as SEV-ES.</summary>
    public const ulong SevEsBit = 0x4;

    /// <summary>SEV/SEV-ES bits 15:6 are reserved.</summary>
    public const ulong SevReservedMask = 0xFFC0;

    /// <summary>SNP bit 17 is reserved and must be 1.</summary>
    public const ulong SnpReservedOneBit = 1UL << 17;

    /// <summary>SNP bits 63:26 are reserved, must be zero.</summary>
    public const ulong SnpReservedZeroMask = ~((1UL << 26) - 1);

    /// <summary>The default policy of <paramref name="mode"/>.</summary>
    public static ulong Default(SevMode mode) => mode switch
    {
        SevMode.Sev => SevDefault,
        SevMode.SevEs => SevEsDefault,
        SevMode.SevSnp => SnpDefault,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "no policy without memory encryption"),
    };

    /// <summary>Throws an <see cref="ArgumentException"/> naming the offending bits and the fix.</summary>
    public static void Validate(SevMode mode, ulong policy)
    {
        var hex = Hex(policy);
        switch (mode)
        {
            case SevMode.Sev or SevMode.SevEs:
                if (policy > uint.MaxValue)
                {
                    throw new ArgumentException($"SEV policy {hex} does not fit in 32 bits (confidential.policy): SEV and SEV-ES policies are 32-bit", nameof(policy));
                }

                if ((policy & SevReservedMask) != 0)
                {
                    throw new ArgumentException($"SEV policy {hex} sets reserved bits 6-15 ({Hex(policy & SevReservedMask)}) (confidential.policy): clear them", nameof(policy));
                }

                if (mode == SevMode.Sev && (policy & SevEsBit) != 0)
                {
                    throw new ArgumentException($"SEV policy {hex} sets bit 2 (ES), which launches an SEV-ES guest (confidential.policy): use mode \"sev-es\" or clear bit 2", nameof(policy));
                }

                if (mode == SevMode.SevEs && (policy & SevEsBit) == 0)
                {
                    throw new ArgumentException($"SEV-ES policy {hex} lacks bit 2 (ES) (confidential.policy): set it (e.g. 0x7), or QEMU launches a plain SEV guest", nameof(policy));
                }

                break;
            case SevMode.SevSnp:
                if ((policy & SnpReservedOneBit) == 0)
                {
                    throw new ArgumentException($"SNP policy {hex} lacks reserved bit 17, which must be 1 (confidential.policy): add 0x20000", nameof(policy));
                }

                if ((policy & SnpReservedZeroMask) != 0)
                {
                    throw new ArgumentException($"SNP policy {hex} sets reserved bits 26-63 ({Hex(policy & SnpReservedZeroMask)}) (confidential.policy): clear them", nameof(policy));
                }

                break;
            default:
                throw new ArgumentException("a policy applies only to the modes sev, sev-es and sev-snp (confidential.policy): remove it for mode \"none\"", nameof(mode));
        }
    }

    /// <summary>Lower-case hex with 0x, as QEMU accepts it (e.g. "0x30000").</summary>
    public static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);
}
