namespace Sev.Measurement;

/// <summary>The firmware image is not a well-formed OVMF image (truncated, garbage, or inconsistent tables).</summary>
public sealed class OvmfFormatException : FormatException
{
    public OvmfFormatException()
    {
    }

    public OvmfFormatException(string message)
        : base(message)
    {
    }

    public OvmfFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
