namespace SevShim.Hosting;

/// <summary>The command line is wrong; the message names the flag or word and the fix.</summary>
internal sealed class ShimUsageException : Exception
{
    public ShimUsageException()
    {
    }

    public ShimUsageException(string message)
        : base(message)
    {
    }

    public ShimUsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
