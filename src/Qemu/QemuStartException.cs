namespace Qemu;

/// <summary>QEMU could not be started, exited early, or did not reach QMP in time. Carries QEMU's stderr.</summary>
public sealed class QemuStartException : Exception
{
    public QemuStartException()
        : this("QEMU failed to start")
    {
    }

    public QemuStartException(string message)
        : this(message, string.Empty)
    {
    }

    public QemuStartException(string message, Exception innerException)
        : base(message, innerException)
    {
        StandardError = string.Empty;
    }

    public QemuStartException(string message, string standardError, int? exitCode = null)
        : base(message)
    {
        StandardError = standardError;
        ExitCode = exitCode;
    }

    /// <summary>What QEMU wrote to stderr (its own error message), possibly empty.</summary>
    public string StandardError { get; }

    /// <summary>QEMU's exit code when it exited; null when it was still running (timeout) or never started.</summary>
    public int? ExitCode { get; }
}
