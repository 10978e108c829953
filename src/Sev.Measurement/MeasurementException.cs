namespace Sev.Measurement;

/// <summary>
/// The inputs cannot be measured as asked (for example a kernel with a firmware that has no
/// hashes table, or an SEV-ES digest for a firmware without a reset block). The message names
/// the input and what to change.
/// </summary>
public sealed class MeasurementException : Exception
{
    public MeasurementException()
    {
    }

    public MeasurementException(string message)
        : base(message)
    {
    }

    public MeasurementException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
