using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using SevShim.Protos.Containerd.TaskV2;
using Ttrpc;

namespace SevShim.Hosting;

/// <summary>
/// containerd's <c>delete</c> (SHIM-PROTOCOL 4.3). containerd runs it whenever a task's connection
/// closes (also for app containers of a pod whose daemon still serves others), after a shim crash,
/// and when it cannot reconnect after a restart. So it is idempotent, touches only its own id,
/// does bounded work (containerd kills it after 5 s), and always prints exactly one
/// DeleteResponse: exit status 137 (128 + SIGKILL) at "now", as the runc and Kata shims report.
/// Cleanup problems are warnings on stderr, which containerd logs; they do not fail the command.
/// </summary>
internal sealed class DeleteCommand
{
    /// <summary>128 + SIGKILL: what the Go shims report for a task cleaned up this way.</summary>
    public const uint ExitStatus = 137;

    /// <summary>Upper bound on the RPCs to a live daemon, inside containerd's 5 s.</summary>
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(1);

    private readonly ShimArguments _args;
    private readonly ShimEnvironment _env;
    private readonly TextWriter _warnings;

    public DeleteCommand(ShimArguments args, ShimEnvironment env, TextWriter warnings)
    {
        _args = args;
        _env = env;
        _warnings = warnings;
    }

    /// <summary>The bytes containerd reads from stdout.</summary>
    public static byte[] ResponseBytes(DateTimeOffset exitedAt) =>
        new DeleteResponse { Pid = 0, ExitStatus = ExitStatus, ExitedAt = Timestamp.FromDateTimeOffset(exitedAt) }.ToByteArray();

    /// <summary>Cleans up what it can within <paramref name="ct"/>, then answers the response bytes.</summary>
    public async Task<byte[]> RunAsync(CancellationToken ct)
    {
        var bundle = _args.Bundle.Length > 0 ? Path.GetFullPath(_args.Bundle) : _env.WorkingDirectory;
        if (bundle.Length == 0)
        {
            return ResponseBytes(DateTimeOffset.UtcNow);
        }

        await Step("stop the task in the running daemon", () => ReleaseSocketAsync(bundle, ct));
        await Step("unmount the rootfs", () =>
        {
            foreach (var failure in RootfsMounts.UnmountAll(Path.Combine(bundle, "rootfs")))
            {
                _warnings.WriteLine($"delete {_args.Id}: {failure}");
            }

            return Task.CompletedTask;
        });
        return ResponseBytes(DateTimeOffset.UtcNow);
    }

    private async Task Step(string what, Func<Task> step)
    {
        try
        {
            await step();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            await _warnings.WriteLineAsync($"delete {_args.Id}: cannot {what}: {e.Message}");
        }
    }

    /// <summary>
    /// A live daemon is asked to kill and delete this id (NotFound, the normal answer after
    /// containerd's own Delete, is fine); a dead daemon's socket is removed unless another
    /// container of the pod still names it in its address file.
    /// </summary>
    private async Task ReleaseSocketAsync(string bundle, CancellationToken ct)
    {
        var address = BundleFiles.ReadAddress(bundle);
        if (address is null || !address.StartsWith(ShimSocketAddress.Scheme, StringComparison.Ordinal))
        {
            return;
        }

        var socketPath = ShimSocketAddress.PathOf(address);
        if (!File.Exists(socketPath))
        {
            return;
        }

        if (await ShimListener.IsServingAsync(socketPath, ct) && await TryStopInDaemonAsync(socketPath, ct))
        {
            return;
        }

        var namespaceDir = Path.GetDirectoryName(bundle);
        var others = namespaceDir is null ? [] : Directory.EnumerateDirectories(namespaceDir)
            .Where(d => Path.GetFileName(d) is { } n && !n.StartsWith('.') && d != bundle)
            .Where(d => BundleFiles.ReadAddress(d) == address)
            .ToArray();
        if (others.Length > 0)
        {
            return;
        }

        // Under start's lock, and probed again: a start of the same pod may have put a new daemon
        // on this path since, and a daemon that is still exiting removes its own socket.
        using (DirectoryLock.Acquire(Path.GetDirectoryName(socketPath)!))
        {
            if (!await ShimListener.IsServingAsync(socketPath, ct))
            {
                File.Delete(socketPath);

                // The daemon died with the pod's last container: QEMU went with it (parent-death
                // signal), but the pod state folder stays behind with its host mounts (the 9p
                // share's in rootfs mode "shared", a rootfs being staged in "block") and disk images.
                var spec = BundleSpec.Load(bundle);
                var sandboxId = spec.GroupKey(_args.Id);
                if (!Sandbox.QemuStateCleanup.RemovePodState(Qemu.PodStateLayout.DefaultRoot, sandboxId, Serilog.Log.Logger))
                {
                    await _warnings.WriteLineAsync($"delete {_args.Id}: the pod state of {sandboxId} under {Qemu.PodStateLayout.DefaultRoot} was not fully removed");
                }

                // The taps died with QEMU, but the tc qdiscs on CNI's interfaces stay (issue 12
                // item 4): removed before containerd's CNI DEL, which follows this delete.
                if (sandboxId == _args.Id && spec.NetworkNamespacePath is { } netns && File.Exists(netns))
                {
                    await Step("remove the dead pod's network", () => Network.StalePodNetwork.RemoveAsync(netns, ct));
                }
            }
        }
    }

    /// <summary>
    /// Kill and Delete this id in the live daemon. False when the daemon went away meanwhile (it
    /// answered Unavailable or the connection failed: it is exiting after Shutdown, which is the
    /// normal end of a pod, and removes its own socket).
    /// </summary>
    private async Task<bool> TryStopInDaemonAsync(string socketPath, CancellationToken ct)
    {
        TtrpcClient client;
        try
        {
            client = await TtrpcClient.ConnectAsync(socketPath, ct);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or TtrpcException or IOException)
        {
            return false;
        }

        await using (client)
        {
            return await Ignore(client.CallAsync("containerd.task.v2.Task", "Kill", new KillRequest { Id = _args.Id, Signal = 9, All = true }, Empty.Parser, CallTimeout, ct))
                && await Ignore(client.CallAsync("containerd.task.v2.Task", "Delete", new DeleteRequest { Id = _args.Id }, DeleteResponse.Parser, CallTimeout, ct));
        }
    }

    /// <summary>
    /// NotFound and FailedPrecondition mean "nothing left to stop" (true); Unavailable means the
    /// daemon is going away (false); other failures are warnings (true: the daemon lives).
    /// </summary>
    private async Task<bool> Ignore<T>(Task<T> call)
    {
        try
        {
            await call;
        }
        catch (TtrpcException e) when (e.Code is TtrpcStatusCode.NotFound or TtrpcStatusCode.FailedPrecondition)
        {
        }
        catch (TtrpcException e) when (e.Code is TtrpcStatusCode.Unavailable)
        {
            return false;
        }
        catch (Exception e) when (e is TtrpcException or IOException or TimeoutException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            await _warnings.WriteLineAsync($"delete {_args.Id}: the running daemon did not stop the task: {e.Message}");
        }

        return true;
    }
}
