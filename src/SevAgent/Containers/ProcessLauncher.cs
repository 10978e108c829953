using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using SevAgent.Errors;
using SevAgent.Hosting;
using SevAgent.Native;
using SevAgent.Stats;

namespace SevAgent.Containers;

/// <summary>
/// Starts a container process through `crun create` or `crun exec --detach` with the stdio the
/// shim asked for: separate pipes for stdin, stdout and stderr, or a terminal whose pty master
/// crun sends to a console socket. Then watches its exit through the reaper.
/// </summary>
internal sealed class ProcessLauncher
{
    private readonly Crun _crun;
    private readonly ChildReaper _reaper;
    private readonly OomMonitor _oom;
    private readonly ILogger<ProcessLauncher> _log;
    private readonly string _consoleDir;
    private int _consoleCounter;

    public ProcessLauncher(Crun crun, ChildReaper reaper, OomMonitor oom, AgentOptions options, ILogger<ProcessLauncher> log)
    {
        _crun = crun;
        _reaper = reaper;
        _oom = oom;
        _log = log;
        // Short paths: a unix socket path has at most 107 bytes, container ids up to 128.
        _consoleDir = Path.Combine(options.StateDir, "console");
    }

    /// <summary>
    /// Runs crun with <paramref name="crunArgs"/> (which must contain "--pid-file", <paramref name="pidFile"/>;
    /// "--console-socket PATH" is appended before the last argument for a terminal), wires the
    /// stdio into <paramref name="process"/> and returns its pid.
    /// </summary>
    public async Task<int> LaunchAsync(
        ContainerProcess process, StdioSpec stdio, List<string> crunArgs, string pidFile, string logFile, string what,
        Container container, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(stdio);
        ArgumentNullException.ThrowIfNull(crunArgs);
        using var devNull = Fd.DevNull();
        SafeFileHandle? stdinChild = null, stdoutChild = null, stderrChild = null;
        SafeFileHandle? stdinParent = null, stdoutParent = null, stderrParent = null;
        ConsoleSocket? console = null;
        try
        {
            if (stdio.Terminal)
            {
                Directory.CreateDirectory(_consoleDir);
                var n = Interlocked.Increment(ref _consoleCounter);
                console = new ConsoleSocket(Path.Combine(_consoleDir, n.ToString(CultureInfo.InvariantCulture) + ".sock"));
                crunArgs.Insert(crunArgs.Count - 1, "--console-socket");
                crunArgs.Insert(crunArgs.Count - 1, console.Path);
            }
            else
            {
                if (stdio.Stdin)
                {
                    (stdinChild, stdinParent) = Fd.Pipe();
                }

                if (stdio.Stdout)
                {
                    (stdoutParent, stdoutChild) = Fd.Pipe();
                }

                if (stdio.Stderr)
                {
                    (stderrParent, stderrChild) = Fd.Pipe();
                }
            }

            using var abort = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var master = console?.ReceiveMasterAsync(abort.Token);
            try
            {
                await _crun.RunWithStdioAsync(
                    what, crunArgs, logFile, stdinChild ?? devNull, stdoutChild ?? devNull, stderrChild ?? devNull, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch
            {
                await abort.CancelAsync().ConfigureAwait(false);
                if (master is not null)
                {
                    try
                    {
                        (await master.ConfigureAwait(false)).Dispose();
                    }
                    catch (Exception e) when (e is OperationCanceledException or IOException or System.Net.Sockets.SocketException)
                    {
                        // crun failed before sending the terminal: nothing to release.
                    }
                }

                throw;
            }

            // The container holds its own copies now; ours must go so EOF reaches the readers.
            stdinChild?.Dispose();
            stdoutChild?.Dispose();
            stderrChild?.Dispose();

            if (master is not null)
            {
                process.AttachTerminal(await master.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false), stdio.Stdin);
            }
            else
            {
                process.Stdout = stdoutParent is null ? null : new OutputPump(stdoutParent, "stdout of " + process.Name);
                process.Stderr = stderrParent is null ? null : new OutputPump(stderrParent, "stderr of " + process.Name);
                process.Stdin = stdinParent is null ? null : new StdinWriter(stdinParent, terminal: false, process.Name);
                stdoutParent = stderrParent = stdinParent = null;
            }

            var pidText = await File.ReadAllTextAsync(pidFile, cancellationToken).ConfigureAwait(false);
            if (!int.TryParse(pidText.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid <= 0)
            {
                throw AgentException.Internal($"{what}: crun wrote no pid to {pidFile} ('{pidText.Trim()}')");
            }

            process.Pid = pid;
            _ = WatchExitAsync(process, container);
            return pid;
        }
        finally
        {
            console?.Dispose();
            stdinChild?.Dispose();
            stdoutChild?.Dispose();
            stderrChild?.Dispose();
            stdinParent?.Dispose();
            stdoutParent?.Dispose();
            stderrParent?.Dispose();
        }
    }

    private async Task WatchExitAsync(ContainerProcess process, Container container)
    {
        var status = await _reaper.WatchAsync(process.Pid).ConfigureAwait(false);
        var info = new ExitInfo(ChildReaper.ExitCode(status), DateTimeOffset.UtcNow);
        _log.LogInformation("{Name} (pid {Pid}) exited with status {Status}", process.Name, process.Pid, info.ExitStatus);
        if (process.ExecId.Length == 0)
        {
            lock (container.Sync)
            {
                container.State = ContainerState.Stopped;
            }
        }

        // Before the waiters hear of the exit, so an OOM event precedes the exit it caused.
        _oom.Check(container.Id);
        process.SetExited(info);
        process.ReleaseTerminal();
    }
}
