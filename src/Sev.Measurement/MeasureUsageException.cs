namespace Sev.Measurement;

/// <summary>A bad <c>measure</c> command line; the message names the argument and the fix.</summary>
internal sealed class MeasureUsageException : Exception
{
    public MeasureUsageException()
    {
    }

    public MeasureUsageException(string message)
        : base(message)
    {
    }

    public MeasureUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
