using System.Security.Cryptography;

namespace Sev.Measurement;

/// <summary>
/// The SEV/SEV-ES LAUNCH_MEASURE value (SEV.md 4.1, pitfalls 8 and 9):
/// HMAC-SHA256(TIK, 0x04 ‖ API_MAJOR ‖ API_MINOR ‖ BUILD ‖ POLICY(u32 LE) ‖ GCTX.LD ‖ MNONCE).
/// QMP query-sev-launch-measure returns base64 of that 32-byte HMAC followed by the 16-byte MNONCE.
/// </summary>
public static class LaunchMeasure
{
    /// <summary>Size of the HMAC.</summary>
    public const int MeasureSize = 32;

    /// <summary>Size of the firmware's MNONCE.</summary>
    public const int NonceSize = 16;

    /// <summary>Size of the QMP launch-measure blob (HMAC ‖ MNONCE).</summary>
    public const int BlobSize = MeasureSize + NonceSize;

    /// <summary>Size of the TIK (and TEK).</summary>
    public const int KeySize = 16;

    /// <summary>Size of GCTX.LD for SEV/SEV-ES (SHA-256).</summary>
    public const int DigestSize = 32;

    /// <summary>Computes the 32-byte HMAC the firmware reports for these inputs.</summary>
    /// <param name="tik">The guest owner's 16-byte transport integrity key.</param>
    /// <param name="platform">API version, build and policy as query-sev reports them.</param>
    /// <param name="launchDigest">GCTX.LD (<see cref="LaunchDigest.Sev"/> or <see cref="LaunchDigest.SevEs"/>).</param>
    /// <param name="mnonce">The 16-byte MNONCE, the last 16 bytes of the launch-measure blob.</param>
    public static byte[] Compute(ReadOnlySpan<byte> tik, SevPlatformInfo platform, ReadOnlySpan<byte> launchDigest, ReadOnlySpan<byte> mnonce)
    {
        ArgumentNullException.ThrowIfNull(platform);
        CheckLength(tik, KeySize, "TIK", nameof(tik));
        CheckLength(launchDigest, DigestSize, "launch digest", nameof(launchDigest));
        CheckLength(mnonce, NonceSize, "MNONCE", nameof(mnonce));
        Span<byte> message = stackalloc byte[1 + 3 + 4 + DigestSize + NonceSize];
        message[0] = 0x04;
        message[1] = platform.ApiMajor;
        message[2] = platform.ApiMinor;
        message[3] = platform.BuildId;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(message[4..], platform.Policy);
        launchDigest.CopyTo(message[8..]);
        mnonce.CopyTo(message[(8 + DigestSize)..]);
        return HMACSHA256.HashData(tik, message);
    }

    /// <summary>The 48-byte blob QMP would return: the HMAC followed by <paramref name="mnonce"/>.</summary>
    public static byte[] ComputeBlob(ReadOnlySpan<byte> tik, SevPlatformInfo platform, ReadOnlySpan<byte> launchDigest, ReadOnlySpan<byte> mnonce)
    {
        var blob = new byte[BlobSize];
        Compute(tik, platform, launchDigest, mnonce).CopyTo(blob, 0);
        mnonce.CopyTo(blob.AsSpan(MeasureSize));
        return blob;
    }

    /// <summary>
    /// True when the decoded query-sev-launch-measure blob matches the expected digest. The
    /// comparison is constant-time.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> tik, SevPlatformInfo platform, ReadOnlySpan<byte> launchDigest, ReadOnlySpan<byte> launchMeasureBlob)
    {
        CheckLength(launchMeasureBlob, BlobSize, "launch-measure blob", nameof(launchMeasureBlob));
        var expected = Compute(tik, platform, launchDigest, launchMeasureBlob[MeasureSize..]);
        return CryptographicOperations.FixedTimeEquals(expected, launchMeasureBlob[..MeasureSize]);
    }

    private static void CheckLength(ReadOnlySpan<byte> value, int expected, string what, string paramName)
    {
        if (value.Length != expected)
        {
            throw new ArgumentException($"the {what} must be {expected} bytes, got {value.Length}", paramName);
        }
    }
}
