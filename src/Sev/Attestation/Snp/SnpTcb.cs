namespace Sev.Attestation.Snp;

/// <summary>
/// A TCB_VERSION of the SNP firmware ABI (a u64 of security version numbers). The byte layout
/// depends on the processor generation: Milan and Genoa put bootloader, TEE, SNP and microcode
/// at bytes 0, 1, 6 and 7; Turin adds the FMC at byte 0 and shifts bootloader, TEE and SNP to
/// bytes 1 to 3 (microcode stays at 7). <see cref="Fmc"/> is null where the layout has none.
/// </summary>
public sealed record SnpTcb(byte BootLoader, byte Tee, byte Snp, byte Microcode, byte? Fmc)
{
    /// <summary>Decodes <paramref name="raw"/> (the report's little-endian u64) for <paramref name="layout"/>.</summary>
    public static SnpTcb Decode(ulong raw, SnpTcbLayout layout)
    {
        byte At(int i) => (byte)(raw >> (8 * i));
        return layout == SnpTcbLayout.Turin
            ? new SnpTcb(At(1), At(2), At(3), At(7), At(0))
            : new SnpTcb(At(0), At(1), At(6), At(7), null);
    }

    /// <summary>Whether every component is at least <paramref name="minimum"/>'s.</summary>
    public bool AtLeast(SnpTcb minimum)
    {
        ArgumentNullException.ThrowIfNull(minimum);
        return BootLoader >= minimum.BootLoader && Tee >= minimum.Tee && Snp >= minimum.Snp && Microcode >= minimum.Microcode
            && (minimum.Fmc is not { } fmc || (Fmc ?? 0) >= fmc);
    }

    /// <inheritdoc/>
    public override string ToString() =>
        (Fmc is { } f ? $"fmc {f}, " : string.Empty) + $"bootloader {BootLoader}, tee {Tee}, snp {Snp}, microcode {Microcode}";
}
