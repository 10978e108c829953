namespace Sev.Measurement;

/// <summary>
/// The two arguments of QMP sev-inject-launch-secret (SEV.md 5.5): the 52-byte packet header
/// (flags u32 ‖ IV(16) ‖ HMAC(32)) and the encrypted secret table. Holds secret material
/// (encrypted), so never log it.
/// </summary>
public sealed class LaunchSecretPacket
{
    private readonly byte[] _header;
    private readonly byte[] _ciphertext;

    internal LaunchSecretPacket(byte[] header, byte[] ciphertext)
    {
        _header = header;
        _ciphertext = ciphertext;
    }

    /// <summary>The packet header: flags(4) ‖ IV(16) ‖ HMAC-SHA256(32).</summary>
    public ReadOnlySpan<byte> Header => _header;

    /// <summary>The AES-128-CTR ciphertext of the padded secret table.</summary>
    public ReadOnlySpan<byte> Ciphertext => _ciphertext;

    /// <summary>Base64 of <see cref="Header"/>: the QMP "packet-header" argument.</summary>
    public string HeaderBase64 => Convert.ToBase64String(_header);

    /// <summary>Base64 of <see cref="Ciphertext"/>: the QMP "secret" argument.</summary>
    public string SecretBase64 => Convert.ToBase64String(_ciphertext);
}
