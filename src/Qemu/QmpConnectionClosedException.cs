namespace Qemu;

/// <summary>The QMP connection ended (QEMU exited or closed the socket) before a reply arrived.</summary>
public sealed class QmpConnectionClosedException : IOException
{
    public QmpConnectionClosedException()
        : base("the QMP connection to QEMU closed")
    {
    }

    public QmpConnectionClosedException(string message)
        : base(message)
    {
    }

    public QmpConnectionClosedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
