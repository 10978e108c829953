namespace SevShim.Hosting;

/// <summary>
/// How the task service tells the daemon to end: after containerd's Shutdown once the shim hosts
/// no container (SHIM-PROTOCOL 2.3: Shutdown is ignored while other containers remain), or on
/// SIGTERM/SIGINT. The daemon then stops accepting, lets in-flight calls (that Shutdown's reply)
/// finish, removes its socket and exits. Thread safe; the first reason wins.
/// </summary>
internal sealed class DaemonLifetime
{
    private readonly TaskCompletionSource<string> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the reason once an exit was requested.</summary>
    public Task<string> ExitRequested => _exit.Task;

    /// <summary>Asks the daemon to exit; returns at once (safe to call from a handler).</summary>
    public void RequestExit(string reason) => _exit.TrySetResult(reason);
}
