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

    /// <summary>
    /// The policy a pod of <paramref name="mode"/> launches with: the override
    /// (confidential.policy), else the mode's default. The launch plan, the shim's effective
    /// configuration and, through the plan, pre-attestation's expected policy all come from here.
    /// </summary>
    public static ulong Effective(SevMode mode, ulong? policyOverride) => policyOverride ?? Default(mode);

    /// <summary>
    /// What is wrong with <paramref name="policy"/> for <paramref name="mode"/>, with the fix, or
    /// null when it is valid: the one rule, which the config parser reports with the file and line
    /// of confidential.policy and <see cref="Validate"/> throws at launch. The text follows
    /// "confidential.policy = 0x…".
    /// </summary>
    public static string? Problem(SevMode mode, ulong policy) => mode switch
    {
        SevMode.Sev or SevMode.SevEs when policy > uint.MaxValue =>
            "does not fit in 32 bits: SEV and SEV-ES policies are 32-bit",
        SevMode.Sev or SevMode.SevEs when (policy & SevReservedMask) != 0 =>
            $"sets reserved bits 6-15 ({Hex(policy & SevReservedMask)}): clear them",
        SevMode.Sev when (policy & SevEsBit) != 0 =>
            "sets bit 2 (ES), which launches an SEV-ES guest: set confidential.mode = \"sev-es\" or clear bit 2",
        SevMode.SevEs when (policy & SevEsBit) == 0 =>
            $"lacks bit 2 (ES), which confidential.mode = \"sev-es\" needs: set it (e.g. {Hex(SevEsDefault)}), or QEMU launches a plain SEV guest",
        SevMode.SevSnp when (policy & SnpReservedOneBit) == 0 =>
            $"lacks SNP bit 17, which must be 1: add {Hex(SnpReservedOneBit)} (e.g. {Hex(SnpDefault)})",
        SevMode.SevSnp when (policy & SnpReservedZeroMask) != 0 =>
            $"sets SNP reserved bits 26-63 ({Hex(policy & SnpReservedZeroMask)}): clear them",
        SevMode.Sev or SevMode.SevEs or SevMode.SevSnp => null,
        _ => "is set but confidential.mode is \"none\", which has no guest policy: remove the policy or choose a mode",
    };

    /// <summary>Throws an <see cref="ArgumentException"/> with <see cref="Problem"/>'s text.</summary>
    public static void Validate(SevMode mode, ulong policy)
    {
        if (Problem(mode, policy) is { } problem)
        {
            throw new ArgumentException($"confidential.policy = {Hex(policy)} {problem}", nameof(policy));
        }
    }

    /// <summary>Lower-case hex with 0x, as QEMU accepts it (e.g. "0x30000").</summary>
    public static string Hex(ulong value) => "0x" + value.ToString("x", CultureInfo.InvariantCulture);
}
