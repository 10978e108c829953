using System.Security.Cryptography;
using System.Text;

namespace SevShim.IntegrationTests.Support;

/// <summary>
/// Drains one output pipe of a <see cref="CtrCommand"/>: keeps the first bytes as text, counts all
/// bytes and hashes those after a prefix (so 64 MiB of output is checked without being kept).
/// The pump task owns the stream; readers take the lock.
/// </summary>
public sealed class CtrOutput
{
    /// <summary>How many leading bytes are kept as text.</summary>
    public const int KeptBytes = 1 << 20;

    private readonly Lock _gate = new();
    private readonly MemoryStream _kept = new();
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly long _hashSkip;
    private long _length;

    /// <summary>Creates a sink that hashes everything after the first <paramref name="hashSkip"/> bytes.</summary>
    public CtrOutput(long hashSkip) => _hashSkip = hashSkip;

    /// <summary>The kept text so far.</summary>
    public string Text
    {
        get
        {
            lock (_gate)
            {
                return Encoding.UTF8.GetString(_kept.GetBuffer(), 0, (int)_kept.Length);
            }
        }
    }

    /// <summary>The kept bytes so far (the first <see cref="KeptBytes"/>).</summary>
    public byte[] Bytes
    {
        get
        {
            lock (_gate)
            {
                return _kept.ToArray();
            }
        }
    }

    /// <summary>All bytes seen so far.</summary>
    public long Length
    {
        get
        {
            lock (_gate)
            {
                return _length;
            }
        }
    }

    /// <summary>Hex sha256 of the bytes after the prefix; call once the pump ended.</summary>
    public string Sha256Hex()
    {
        lock (_gate)
        {
            return Convert.ToHexStringLower(_hash.GetHashAndReset());
        }
    }

    /// <summary>Copies <paramref name="source"/> to its end.</summary>
    public async Task PumpAsync(Stream source)
    {
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await source.ReadAsync(buffer)) > 0)
        {
            Append(buffer.AsSpan(0, read));
        }
    }

    private void Append(ReadOnlySpan<byte> chunk)
    {
        lock (_gate)
        {
            var keep = (int)Math.Min(chunk.Length, Math.Max(0, KeptBytes - _kept.Length));
            _kept.Write(chunk[..keep]);
            var skip = (int)Math.Clamp(_hashSkip - _length, 0, chunk.Length);
            _hash.AppendData(chunk[skip..]);
            _length += chunk.Length;
        }
    }
}
