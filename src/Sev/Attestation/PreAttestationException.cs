namespace Sev.Attestation;

/// <summary>
/// Pre-attestation refused the launch: QEMU has no SEV guest, the launch is not in the state
/// the flow needs, the measurement does not match, or QEMU did not answer in time. The message
/// names what was expected and what was seen (digests in hex); it never holds a secret.
/// </summary>
public sealed class PreAttestationException : Exception
{
    public PreAttestationException()
        : base("pre-attestation failed")
    {
    }

    public PreAttestationException(string message)
        : base(message)
    {
    }

    public PreAttestationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
