using System.Runtime.Versioning;
using SevShim.Errors;

using SevRuntime.Posix;
using SevShim.Native;

namespace SevShim.Io;

/// <summary>
/// Opens the host ends of a process's stdio as containerd passes them (SHIM-PROTOCOL.md 5), never
/// with a blocking open: a plain path is a FIFO the client (ctr, CRI) made and is opening; an
/// output FIFO is opened O_RDWR, which never blocks and keeps a reader so writes never hit EPIPE
/// when the client goes away (the runc shim's extra reader); the stdin FIFO is opened for reading
/// plus a keep-alive writer that <see cref="ProcessIo.CloseStdin"/> drops (runc's extra
/// writer that CloseIO closes), so the process sees EOF only after the client closed its end
/// and containerd called CloseIO. A path that is a regular file (tests, or a client that made
/// one) is appended to or read from. <c>file://</c> URIs append to the named file (parents 0755,
/// file 0644, as containerd's LogFile helper). <c>binary://</c> loggers are not supported.
/// </summary>
[SupportedOSPlatform("linux")]
internal static class StdioEndpoints
{
    /// <summary>Opens an output target, or returns null for an empty path.</summary>
    public static PollableFd? OpenOutput(string path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return null;
        }

        var target = Resolve(path, output: true);
        try
        {
            if (IsFifo(target))
            {
                return PollableFd.OpenFifo(target, Posix.O_RDWR);
            }

            var parent = Path.GetDirectoryName(target);
            if (!string.IsNullOrEmpty(parent))
            {
                Directory.CreateDirectory(parent, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                    | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            }

            return PollableFd.Open(target, Posix.O_WRONLY | Posix.O_CREAT | Posix.O_APPEND, Convert.ToInt32("644", 8));
        }
        catch (IOException ex)
        {
            throw new ShimException(ShimErrorKind.InvalidArgument, $"sevshim: stdio target {path}: {ex.Message}", ex);
        }
    }

    /// <summary>Opens the stdin source and its keep-alive writer (null for a regular file), or nulls for an empty path.</summary>
    public static (PollableFd? Reader, PollableFd? KeepAlive) OpenInput(string path)
    {
        if (string.IsNullOrEmpty(path))
        {
            return (null, null);
        }

        var target = Resolve(path, output: false);
        PollableFd? reader = null;
        try
        {
            // O_RDONLY|O_NONBLOCK on a FIFO returns at once even with no writer yet (fifo(7)).
            reader = PollableFd.Open(target, Posix.O_RDONLY);
            // With our reader present, a non-blocking writer open succeeds at once too.
            var keepAlive = IsFifo(target) ? PollableFd.OpenFifo(target, Posix.O_WRONLY) : null;
            return (reader, keepAlive);
        }
        catch (IOException ex)
        {
            reader?.Dispose();
            throw new ShimException(ShimErrorKind.InvalidArgument, $"sevshim: stdin source {path}: {ex.Message}", ex);
        }
    }

    private static string Resolve(string path, bool output)
    {
        if (path.StartsWith("file://", StringComparison.Ordinal))
        {
            var file = new Uri(path).LocalPath;
            if (!output)
            {
                throw new ShimException(ShimErrorKind.InvalidArgument, $"sevshim: stdin cannot be a log URI ({path}): pass a FIFO path");
            }

            return file;
        }

        if (path.StartsWith("fifo://", StringComparison.Ordinal))
        {
            return path["fifo://".Length..];
        }

        if (path.Contains("://", StringComparison.Ordinal))
        {
            throw new ShimException(
                ShimErrorKind.Unimplemented,
                $"sevshim: stdio URI {path} is not supported (binary:// loggers are not implemented): use FIFOs or file://");
        }

        if (!Path.IsPathRooted(path))
        {
            throw new ShimException(ShimErrorKind.InvalidArgument, $"sevshim: stdio path {path} is not absolute: containerd passes absolute FIFO paths");
        }

        return path;
    }

    private static bool IsFifo(string path) => LibC.FileType(path) == Posix.S_IFIFO;
}
