namespace Sev.Attestation.Snp;

/// <summary>
/// An SNP attestation report was refused. <see cref="Check"/> names what failed; the message says
/// what was expected and what was seen (hex), and the fix where there is one. Never holds a secret
/// (a report and AMD's certificates are public by design).
/// </summary>
public sealed class SnpVerificationException : Exception
{
    public SnpVerificationException()
        : this(SnpCheck.Format, "SNP attestation report refused")
    {
    }

    public SnpVerificationException(string message)
        : this(SnpCheck.Format, message)
    {
    }

    public SnpVerificationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public SnpVerificationException(SnpCheck check, string message, Exception? innerException = null)
        : base(message, innerException) => Check = check;

    /// <summary>What failed.</summary>
    public SnpCheck Check { get; }
}
