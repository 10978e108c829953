using System.Buffers.Binary;

namespace Sev.Attestation.Snp;

/// <summary>
/// An SNP ATTESTATION_REPORT (SNP firmware ABI, table "ATTESTATION_REPORT Structure"; SEV.md 6):
/// 1184 bytes, little-endian, the signature over bytes 0 to 0x29F. Versions 2 and later share the
/// fields read here (later versions only fill bytes earlier ones reserve). The TCB fields are kept
/// raw because their layout depends on the processor (<see cref="SnpTcb.Decode"/>).
/// </summary>
public sealed record SnpReport
{
    /// <summary>The report's size in bytes.</summary>
    public const int Size = 0x4A0;

    /// <summary>The bytes the signature covers: 0 to 0x29F.</summary>
    public const int SignedSize = 0x2A0;

    /// <summary>SIG_ALGO 1: ECDSA P-384 with SHA-384.</summary>
    public const uint EcdsaP384Sha384 = 1;

    // Each signature component is a 72-byte little-endian integer, zero above its 48 bytes.
    private const int SignatureComponentSize = 72;
    private const int P384Size = 48;

    /// <summary>VERSION.</summary>
    public required uint Version { get; init; }

    /// <summary>GUEST_SVN.</summary>
    public required uint GuestSvn { get; init; }

    /// <summary>POLICY, as the guest was launched with.</summary>
    public required ulong Policy { get; init; }

    /// <summary>FAMILY_ID (16 bytes, from the ID block).</summary>
    public required ReadOnlyMemory<byte> FamilyId { get; init; }

    /// <summary>IMAGE_ID (16 bytes, from the ID block).</summary>
    public required ReadOnlyMemory<byte> ImageId { get; init; }

    /// <summary>VMPL the report was requested at.</summary>
    public required uint Vmpl { get; init; }

    /// <summary>SIGNATURE_ALGO.</summary>
    public required uint SignatureAlgorithm { get; init; }

    /// <summary>CURRENT_TCB, raw.</summary>
    public required ulong CurrentTcb { get; init; }

    /// <summary>PLATFORM_INFO (bit 0 SMT enabled, bit 1 TSME enabled, ...).</summary>
    public required ulong PlatformInfo { get; init; }

    /// <summary>The flags word at 0x48: bit 0 AUTHOR_KEY_EN, bit 1 MASK_CHIP_KEY, bits 4:2 SIGNING_KEY (0 VCEK, 1 VLEK, 7 none).</summary>
    public required uint KeyFlags { get; init; }

    /// <summary>REPORT_DATA: the 64 bytes the guest asked to bind (here: the verifier's nonce).</summary>
    public required ReadOnlyMemory<byte> ReportData { get; init; }

    /// <summary>MEASUREMENT: the launch digest (48 bytes).</summary>
    public required ReadOnlyMemory<byte> Measurement { get; init; }

    /// <summary>HOST_DATA (32 bytes, chosen by the host at launch).</summary>
    public required ReadOnlyMemory<byte> HostData { get; init; }

    /// <summary>ID_KEY_DIGEST (48 bytes).</summary>
    public required ReadOnlyMemory<byte> IdKeyDigest { get; init; }

    /// <summary>AUTHOR_KEY_DIGEST (48 bytes).</summary>
    public required ReadOnlyMemory<byte> AuthorKeyDigest { get; init; }

    /// <summary>REPORT_ID (32 bytes).</summary>
    public required ReadOnlyMemory<byte> ReportId { get; init; }

    /// <summary>REPORTED_TCB, raw: the TCB the VCEK that signs was derived for.</summary>
    public required ulong ReportedTcb { get; init; }

    /// <summary>CHIP_ID (64 bytes; zero when MASK_CHIP_ID was set).</summary>
    public required ReadOnlyMemory<byte> ChipId { get; init; }

    /// <summary>COMMITTED_TCB, raw.</summary>
    public required ulong CommittedTcb { get; init; }

    /// <summary>LAUNCH_TCB, raw.</summary>
    public required ulong LaunchTcb { get; init; }

    /// <summary>The signature as IEEE P1363 (r ‖ s, big-endian, 48 bytes each), as .NET's ECDsa verifies it.</summary>
    public required ReadOnlyMemory<byte> SignatureP1363 { get; init; }

    /// <summary>Bytes 0 to 0x29F, which the signature covers.</summary>
    public required ReadOnlyMemory<byte> SignedBytes { get; init; }

    /// <summary>SIGNING_KEY: 0 VCEK, 1 VLEK, 7 none.</summary>
    public uint SigningKey => (KeyFlags >> 2) & 0x7;

    /// <summary>Whether MASK_CHIP_ID hid the chip id.</summary>
    public bool ChipIdMasked => (KeyFlags & 0x2) != 0;

    /// <summary>Parses a report; a wrong size, version or algorithm is a <see cref="SnpCheck.Format"/> refusal.</summary>
    public static SnpReport Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new SnpVerificationException(SnpCheck.Format, $"an SNP attestation report is {Size} bytes, got {bytes.Length}");
        }

        var version = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        if (version < 2)
        {
            throw new SnpVerificationException(SnpCheck.Format, $"SNP attestation report version {version} is not supported (2 or later)");
        }

        var algorithm = BinaryPrimitives.ReadUInt32LittleEndian(bytes[0x34..]);
        if (algorithm != EcdsaP384Sha384)
        {
            throw new SnpVerificationException(SnpCheck.Format, $"SNP attestation report signature algorithm {algorithm} is not ECDSA P-384/SHA-384 (1)");
        }

        var copy = bytes.ToArray();
        ReadOnlyMemory<byte> Field(int offset, int length) => copy.AsMemory(offset, length);
        ulong U64(int offset) => BinaryPrimitives.ReadUInt64LittleEndian(copy.AsSpan(offset));
        uint U32(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(copy.AsSpan(offset));

        var signature = new byte[2 * P384Size];
        for (var component = 0; component < 2; component++)
        {
            var start = SignedSize + (component * SignatureComponentSize);
            if (bytes.Slice(start + P384Size, SignatureComponentSize - P384Size).ContainsAnyExcept((byte)0))
            {
                throw new SnpVerificationException(SnpCheck.Signature, "the SNP report's signature component exceeds P-384's 48 bytes");
            }

            var little = bytes.Slice(start, P384Size).ToArray();
            Array.Reverse(little);
            little.CopyTo(signature, component * P384Size);
        }

        return new SnpReport
        {
            Version = version,
            GuestSvn = U32(0x04),
            Policy = U64(0x08),
            FamilyId = Field(0x10, 16),
            ImageId = Field(0x20, 16),
            Vmpl = U32(0x30),
            SignatureAlgorithm = algorithm,
            CurrentTcb = U64(0x38),
            PlatformInfo = U64(0x40),
            KeyFlags = U32(0x48),
            ReportData = Field(0x50, 64),
            Measurement = Field(0x90, 48),
            HostData = Field(0xC0, 32),
            IdKeyDigest = Field(0xE0, 48),
            AuthorKeyDigest = Field(0x110, 48),
            ReportId = Field(0x140, 32),
            ReportedTcb = U64(0x180),
            ChipId = Field(0x1A0, 64),
            CommittedTcb = U64(0x1E0),
            LaunchTcb = U64(0x1F0),
            SignatureP1363 = signature,
            SignedBytes = Field(0, SignedSize),
        };
    }
}
