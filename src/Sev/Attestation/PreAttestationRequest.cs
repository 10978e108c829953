using Sev.Measurement;

namespace Sev.Attestation;

/// <summary>
/// What the guest owner supplies for SEV/SEV-ES pre-attestation (SEV.md 4.1, 5.3, 5.5): the
/// launch session's keys, the launch digests they accept, and optionally secrets to inject.
/// Holds key material: never log it (its ToString prints no key or secret).
/// </summary>
public sealed class PreAttestationRequest
{
    /// <summary>The 16-byte transport integrity key of the launch session (sevctl session's NAME_tik.bin).</summary>
    public required ReadOnlyMemory<byte> Tik { get; init; }

    /// <summary>The 16-byte transport encryption key (NAME_tek.bin); needed only with <see cref="Secrets"/>.</summary>
    public ReadOnlyMemory<byte> Tek { get; init; }

    /// <summary>
    /// The GCTX.LD values (32 bytes each, <see cref="LaunchDigest.Sev"/> / <see cref="LaunchDigest.SevEs"/>)
    /// the guest owner accepts; the firmware's measurement must match one of them.
    /// </summary>
    public required IReadOnlyList<ReadOnlyMemory<byte>> AcceptedDigests { get; init; }

    /// <summary>The policy the VM was launched with; query-sev must report exactly this one.</summary>
    public required uint ExpectedPolicy { get; init; }

    /// <summary>Secrets for the OVMF secret table, injected with sev-inject-launch-secret; empty for none.</summary>
    public IReadOnlyList<LaunchSecretEntry> Secrets { get; init; } = [];

    /// <summary>The firmware's secret area size (<see cref="OvmfImage.SecretArea"/>), or null not to check the table's size.</summary>
    public uint? SecretAreaSize { get; init; }

    /// <inheritdoc/>
    public override string ToString() =>
        $"pre-attestation: {AcceptedDigests.Count} accepted digest(s), policy 0x{ExpectedPolicy:x}, {Secrets.Count} secret(s)";
}
