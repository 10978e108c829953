using SevRuntime.Posix;

namespace Netlink;

/// <summary>
/// Runs work inside a network namespace: on a new OS thread that enters it (setns(2) with
/// CLONE_NEWNET changes the calling thread only) and ends with the work, so no pool thread is
/// ever left in another namespace. Sockets and taps made there stay in that namespace after the
/// thread is gone. The thread goes back to its original namespace before it completes the task:
/// a thread inherits its creator's namespaces, and completing the task may make the thread pool
/// start a worker from this thread (seen: the awaiting code's continuation then ran in the pod's
/// namespace).
/// </summary>
public static class NetworkNamespace
{
    public static Task<T> RunAsync<T>(string path, Func<T> work, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(work);
        cancellationToken.ThrowIfCancellationRequested();
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var original = Posix.open("/proc/thread-self/ns/net", Posix.O_RDONLY | Posix.O_CLOEXEC, 0);
            T result = default!;
            Exception? failure = null;
            try
            {
                if (original < 0)
                {
                    var errno = NetlinkNative.LastErrno();
                    throw new NetlinkException($"opening this thread's network namespace before entering {path}: {NetlinkException.Describe(errno)}", errno);
                }

                Enter(path);
                result = work();
            }
#pragma warning disable CA1031 // Every failure belongs to the caller.
            catch (Exception e)
#pragma warning restore CA1031
            {
                failure = e;
            }
            finally
            {
                if (original >= 0)
                {
                    if (NetlinkNative.setns(original, NetlinkNative.CLONE_NEWNET) < 0)
                    {
                        var errno = NetlinkNative.LastErrno();
                        failure = new NetlinkException($"returning from network namespace {path} (setns): {NetlinkException.Describe(errno)}", errno);
                    }

                    Posix.close(original);
                }
            }

            if (failure is null)
            {
                done.SetResult(result);
            }
            else
            {
                done.SetException(failure);
            }
        })
        {
            IsBackground = true,
            Name = "netns",
        };
        thread.Start();
        return done.Task;
    }

    private static void Enter(string path)
    {
        var fd = Posix.open(path, Posix.O_RDONLY | Posix.O_CLOEXEC, 0);
        if (fd < 0)
        {
            var errno = NetlinkNative.LastErrno();
            throw new NetlinkException(
                errno == Posix.ENOENT ? $"network namespace {path} does not exist" : $"opening network namespace {path}: {NetlinkException.Describe(errno)}",
                errno);
        }

        try
        {
            if (NetlinkNative.setns(fd, NetlinkNative.CLONE_NEWNET) < 0)
            {
                var errno = NetlinkNative.LastErrno();
                throw new NetlinkException($"entering network namespace {path} (setns): {NetlinkException.Describe(errno)} (is it a network namespace?)", errno);
            }
        }
        finally
        {
            Posix.close(fd);
        }
    }
}
