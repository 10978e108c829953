using System.Net.Sockets;
using SevShim.Config;

namespace SevShim.Errors;

/// <summary>
/// Puts every exception a task call can end with into the taxonomy (<see cref="ShimErrorKind"/>),
/// so that containerd never sees the ttrpc status Unknown: a <see cref="ConfigException"/> is an
/// invalid argument (its message names the file and the key), a <see cref="TimeoutException"/>
/// a deadline, and whatever else escapes (an I/O error, a bug) is Internal, with the call and the
/// exception's type in the message for context. Cancellation is not classified: the ttrpc server
/// answers it as Cancelled or DeadlineExceeded, as Go ttrpc does.
/// </summary>
internal static class ShimErrors
{
    /// <summary>
    /// The domain error for <paramref name="exception"/>, raised in <paramref name="operation"/>
    /// (e.g. "Create"); null for a cancellation. <paramref name="unexpected"/> is true when the
    /// exception is outside the taxonomy and worth its stack in the log.
    /// </summary>
    public static ShimException? Classify(Exception exception, string operation, out bool unexpected)
    {
        ArgumentNullException.ThrowIfNull(exception);
        unexpected = false;
        switch (exception)
        {
            case ShimException shim:
                return shim;
            case OperationCanceledException:
                return null;
            case ConfigException config:
                return new ShimException(ShimErrorKind.InvalidArgument, config.Message, config);
            case TimeoutException timeout:
                return new ShimException(ShimErrorKind.DeadlineExceeded, $"{operation}: {timeout.Message}", timeout);
            case IOException or UnauthorizedAccessException or SocketException:
                unexpected = true;
                return new ShimException(
                    ShimErrorKind.Internal,
                    $"{operation} failed on the host: {exception.GetType().Name}: {exception.Message}",
                    exception);
            default:
                unexpected = true;
                return new ShimException(
                    ShimErrorKind.Internal,
                    $"{operation} failed inside sevshim ({exception.GetType().Name}: {exception.Message}); this is a bug: the shim's log has the stack",
                    exception);
        }
    }
}
