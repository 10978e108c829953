using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Sev.Measurement;

/// <summary>
/// Builds the launch secret for sev-inject-launch-secret as sevctl's "secret build" does
/// (SEV.md 5.5; AMD SEV API LAUNCH_SECRET): the OVMF/efi_secret table
/// {GUID 1e74f542-…, u32 total length, entries {GUID, u32 20 + data length, data}} zero-padded to
/// 16 bytes, encrypted with AES-128-CTR under the TEK, and a header whose HMAC-SHA256 under the TIK
/// covers 0x01 ‖ flags ‖ IV ‖ u32 length ‖ u32 length ‖ ciphertext ‖ MEASURE.
/// </summary>
public static class LaunchSecret
{
    private const int EntryHeaderSize = 16 + 4;

    /// <summary>The padded plaintext secret table.</summary>
    public static byte[] BuildTable(IEnumerable<LaunchSecretEntry> secrets)
    {
        ArgumentNullException.ThrowIfNull(secrets);
        var list = secrets.ToList();
        var length = EntryHeaderSize + list.Sum(s => (long)EntryHeaderSize + s.Data.Length);
        if (length > int.MaxValue - 16)
        {
            throw new MeasurementException($"the secret table would be {length} bytes, far too large for the OVMF secret area");
        }

        var table = new byte[((int)length + 15) & ~15];
        var span = table.AsSpan();
        WriteHeader(span, OvmfGuids.SecretTableHeader, (uint)length);
        var offset = EntryHeaderSize;
        foreach (var secret in list)
        {
            WriteHeader(span[offset..], secret.Id, (uint)(EntryHeaderSize + secret.Data.Length));
            secret.Data.Span.CopyTo(span[(offset + EntryHeaderSize)..]);
            offset += EntryHeaderSize + secret.Data.Length;
        }

        return table;
    }

    /// <summary>Like <see cref="Build"/> with a fresh random IV, as sevctl does without --iv.</summary>
    public static LaunchSecretPacket BuildWithRandomIv(
        ReadOnlySpan<byte> tek,
        ReadOnlySpan<byte> tik,
        ReadOnlySpan<byte> launchMeasure,
        IEnumerable<LaunchSecretEntry> secrets,
        uint? secretAreaSize = null)
    {
        Span<byte> iv = stackalloc byte[16];
        RandomNumberGenerator.Fill(iv);
        return Build(tek, tik, iv, launchMeasure, secrets, secretAreaSize);
    }

    /// <summary>Encrypts the secrets and builds the packet header.</summary>
    /// <param name="tek">The 16-byte transport encryption key from the launch session.</param>
    /// <param name="tik">The 16-byte transport integrity key from the launch session.</param>
    /// <param name="iv">A fresh random 16-byte IV (pass a fixed one only in tests).</param>
    /// <param name="launchMeasure">The verified launch-measure blob (48 bytes) or its first 32 bytes.</param>
    /// <param name="secrets">The secrets to put in the table.</param>
    /// <param name="secretAreaSize">The firmware's secret area size (<see cref="OvmfImage.SecretArea"/>), or null not to check.</param>
    public static LaunchSecretPacket Build(
        ReadOnlySpan<byte> tek,
        ReadOnlySpan<byte> tik,
        ReadOnlySpan<byte> iv,
        ReadOnlySpan<byte> launchMeasure,
        IEnumerable<LaunchSecretEntry> secrets,
        uint? secretAreaSize = null)
    {
        RequireLength(tek, LaunchMeasure.KeySize, "TEK", nameof(tek));
        RequireLength(tik, LaunchMeasure.KeySize, "TIK", nameof(tik));
        RequireLength(iv, 16, "IV", nameof(iv));
        if (launchMeasure.Length != LaunchMeasure.MeasureSize && launchMeasure.Length != LaunchMeasure.BlobSize)
        {
            throw new ArgumentException(
                $"the launch measure must be the 48-byte query-sev-launch-measure blob or its 32-byte HMAC, got {launchMeasure.Length} bytes",
                nameof(launchMeasure));
        }

        var table = BuildTable(secrets);
        try
        {
            if (secretAreaSize is { } area && table.Length > area)
            {
                throw new MeasurementException(
                    $"the secret table is {table.Length} bytes but the firmware's secret area holds {area}: inject fewer or smaller secrets");
            }

            var ciphertext = AesCtr.Transform(tek, iv, table);
            const uint flags = 0;
            var message = new byte[1 + 4 + 16 + 4 + 4 + ciphertext.Length + LaunchMeasure.MeasureSize];
            var m = message.AsSpan();
            m[0] = 0x01;
            BinaryPrimitives.WriteUInt32LittleEndian(m[1..], flags);
            iv.CopyTo(m[5..]);
            BinaryPrimitives.WriteUInt32LittleEndian(m[21..], (uint)table.Length);
            BinaryPrimitives.WriteUInt32LittleEndian(m[25..], (uint)table.Length);
            ciphertext.CopyTo(m[29..]);
            launchMeasure[..LaunchMeasure.MeasureSize].CopyTo(m[(29 + ciphertext.Length)..]);

            var header = new byte[4 + 16 + 32];
            BinaryPrimitives.WriteUInt32LittleEndian(header, flags);
            iv.CopyTo(header.AsSpan(4));
            HMACSHA256.HashData(tik, message, header.AsSpan(20));
            return new LaunchSecretPacket(header, ciphertext);
        }
        finally
        {
            // The plaintext table holds the guest owner's secrets: do not leave it in the heap.
            CryptographicOperations.ZeroMemory(table);
        }
    }

    private static void WriteHeader(Span<byte> dest, Guid id, uint length)
    {
        if (!id.TryWriteBytes(dest))
        {
            throw new InvalidOperationException("secret table buffer too small");
        }

        BinaryPrimitives.WriteUInt32LittleEndian(dest[16..], length);
    }

    private static void RequireLength(ReadOnlySpan<byte> value, int expected, string what, string paramName)
    {
        if (value.Length != expected)
        {
            throw new ArgumentException($"the {what} must be {expected} bytes, got {value.Length}", paramName);
        }
    }
}
