namespace Qemu;

/// <summary>
/// QEMU answered a QMP command with <c>{"error": {"class": ..., "desc": ...}}</c>
/// (QMP specification, docs/interop/qmp-spec: "error" response). Carries both fields verbatim.
/// </summary>
public sealed class QmpErrorException : Exception
{
    public QmpErrorException()
        : this("unknown", "GenericError", "unknown QMP error")
    {
    }

    public QmpErrorException(string message)
        : this("unknown", "GenericError", message)
    {
    }

    public QmpErrorException(string message, Exception innerException)
        : base(message, innerException)
    {
        Command = "unknown";
        ErrorClass = "GenericError";
        Description = message;
    }

    public QmpErrorException(string command, string errorClass, string description)
        : base($"QEMU refused QMP command '{command}': {errorClass}: {description}")
    {
        Command = command;
        ErrorClass = errorClass;
        Description = description;
    }

    /// <summary>The QMP command that failed.</summary>
    public string Command { get; }

    /// <summary>QMP error class, e.g. GenericError, CommandNotFound, DeviceNotFound.</summary>
    public string ErrorClass { get; }

    /// <summary>QEMU's human-readable description ("desc").</summary>
    public string Description { get; }
}
