using System.Security.Cryptography;

namespace Sev.Measurement;

/// <summary>
/// AES-CTR with a 128-bit big-endian counter starting at the IV, the OpenSSL aes-128-ctr
/// behaviour sevctl relies on (the BCL has no CTR mode). The key stream is AES-ECB over the
/// counter blocks; encryption and decryption are the same operation.
/// </summary>
internal static class AesCtr
{
    public static byte[] Transform(ReadOnlySpan<byte> key, ReadOnlySpan<byte> iv, ReadOnlySpan<byte> input)
    {
        if (iv.Length != 16)
        {
            throw new ArgumentException($"the AES-CTR IV must be 16 bytes, got {iv.Length}", nameof(iv));
        }

        var blocks = (input.Length + 15) / 16;
        var counters = new byte[blocks * 16];
        Span<byte> counter = stackalloc byte[16];
        iv.CopyTo(counter);
        for (var i = 0; i < blocks; i++)
        {
            counter.CopyTo(counters.AsSpan(i * 16));
            Increment(counter);
        }

        using var aes = Aes.Create();
        aes.Key = key.ToArray();
        var stream = aes.EncryptEcb(counters, PaddingMode.None);
        var output = new byte[input.Length];
        for (var i = 0; i < input.Length; i++)
        {
            output[i] = (byte)(input[i] ^ stream[i]);
        }

        CryptographicOperations.ZeroMemory(stream);
        return output;
    }

    private static void Increment(Span<byte> counter)
    {
        for (var i = counter.Length - 1; i >= 0; i--)
        {
            if (++counter[i] != 0)
            {
                return;
            }
        }
    }
}
