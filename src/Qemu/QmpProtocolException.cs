namespace Qemu;

/// <summary>The peer sent something that is not QMP (bad greeting, a line that is not a JSON object).</summary>
public sealed class QmpProtocolException : IOException
{
    public QmpProtocolException()
        : base("the peer does not speak QMP")
    {
    }

    public QmpProtocolException(string message)
        : base(message)
    {
    }

    public QmpProtocolException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
