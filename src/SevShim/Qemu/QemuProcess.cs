using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Serilog;
using SevRuntime.Posix;
using SevShim.Errors;

namespace SevShim.Qemu;

/// <summary>
/// One running QEMU. Started as <c>setpriv --pdeathsig KILL -- /bin/sh -c 'umask 0177 &amp;&amp;
/// exec "$0" "$@"' qemu ARGS</c>: the shell execs QEMU (same pid, so QEMU stays this process's own
/// child and .NET's SIGCHLD handling reaps it and reports its exit even though the daemon is a
/// child subreaper), the umask makes every file QEMU creates (QMP and agent sockets, console log)
/// mode 0600, and the parent-death signal kills QEMU if the shim dies without shutting it down.
/// Ownership: this object owns the child; <see cref="DisposeAsync"/> kills and reaps it.
/// </summary>
internal sealed class QemuProcess : IAsyncDisposable
{
    private const int StderrLines = 40;
    private static readonly string[] SetprivCandidates = ["/usr/bin/setpriv", "/bin/setpriv"];
    private readonly Process _process;
    private readonly Queue<string> _stderr = new();
    private readonly Task<int> _exited;

    private QemuProcess(Process process)
    {
        _process = process;
        Pid = process.Id;
        _exited = WaitAsync(process);
    }

    /// <summary>QEMU's pid.</summary>
    public int Pid { get; }

    /// <summary>Completes with QEMU's exit status (128 + signal when killed) once it is reaped.</summary>
    public Task<int> Exited => _exited;

    /// <summary>The last lines QEMU wrote on stderr (its own errors, not the guest's).</summary>
    public string StandardErrorTail
    {
        get
        {
            lock (_stderr)
            {
                return string.Join('\n', _stderr);
            }
        }
    }

    /// <summary>The argv used to start QEMU through the wrappers (for tests and the debug log).</summary>
    public static IReadOnlyList<string> WrapperArguments(string qemuPath, IReadOnlyList<string> qemuArgs, string? setprivPath)
    {
        var argv = new List<string>();
        if (setprivPath is not null)
        {
            argv.AddRange([setprivPath, "--pdeathsig", "KILL", "--"]);
        }

        // "$0" is the QEMU binary, "$@" its arguments: nothing is parsed by the shell.
        argv.AddRange(["/bin/sh", "-c", "umask 0177 && exec \"$0\" \"$@\"", qemuPath]);
        argv.AddRange(qemuArgs);
        return argv;
    }

    /// <summary>
    /// Starts QEMU; the state folder must exist. <paramref name="inherit"/>: fds QEMU gets under
    /// the same numbers (the pod's taps). Every fd the shim opens is close-on-exec; these lose the
    /// flag only on the spawn thread around the fork and get it back at once, so no other child
    /// inherits them (the shim starts nothing else while a pod boots).
    /// </summary>
    public static async Task<QemuProcess> StartAsync(string qemuPath, IReadOnlyList<string> qemuArgs, ILogger log, IReadOnlyList<SafeHandle>? inherit = null)
    {
        ArgumentNullException.ThrowIfNull(log);
        if (!File.Exists(qemuPath))
        {
            throw new ShimException(ShimErrorKind.FailedPrecondition, $"sevshim: vm.qemu = \"{qemuPath}\" does not exist: install qemu-system-x86 or fix vm.qemu");
        }

        var setpriv = SetprivCandidates.FirstOrDefault(File.Exists);
        if (setpriv is null)
        {
            log.Warning("setpriv (util-linux) not found: QEMU will not be killed if the shim dies unexpectedly");
        }

        var argv = WrapperArguments(qemuPath, qemuArgs, setpriv);
        var info = new ProcessStartInfo(argv[0])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in argv.Skip(1))
        {
            info.ArgumentList.Add(a);
        }

        var process = new Process { StartInfo = info };
        try
        {
            await DedicatedSpawnThread.RunAsync(() => StartInheriting(process, inherit ?? []));
        }
        catch (Win32Exception ex)
        {
            process.Dispose();
            throw new ShimException(ShimErrorKind.Internal, $"sevshim: cannot start {qemuPath}: {ex.Message}", ex);
        }

        var qemu = new QemuProcess(process);
        process.StandardInput.Close();
        process.ErrorDataReceived += (_, e) => qemu.AddStderr(e.Data);
        process.OutputDataReceived += (_, e) => qemu.AddStderr(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        log.Information("QEMU started (pid {Pid}): {Command}", qemu.Pid, string.Join(' ', qemuArgs));
        return qemu;
    }

    private static bool StartInheriting(Process process, IReadOnlyList<SafeHandle> inherit)
    {
        SetCloseOnExec(inherit, false);
        try
        {
            return process.Start();
        }
        finally
        {
            SetCloseOnExec(inherit, true);
        }
    }

    private static void SetCloseOnExec(IReadOnlyList<SafeHandle> handles, bool on)
    {
        foreach (var handle in handles)
        {
            using var fd = FdLease.Of(handle);
            if (Posix.fcntl(fd.Value, Posix.F_SETFD, on ? Posix.FD_CLOEXEC : 0) < 0)
            {
                throw new ShimException(ShimErrorKind.Internal, $"sevshim: fcntl(F_SETFD) on fd {fd.Value} for QEMU failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
            }
        }
    }

    /// <summary>Sends SIGKILL to QEMU; harmless when it already exited.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill();
        }
        catch (InvalidOperationException)
        {
            // Already exited and reaped.
        }
    }

    /// <summary>Kills QEMU if it still runs and waits until it is reaped.</summary>
    public async ValueTask DisposeAsync()
    {
        Kill();
        await _exited.ConfigureAwait(false);
        _process.Dispose();
    }

    private static async Task<int> WaitAsync(Process process)
    {
        await process.WaitForExitAsync(CancellationToken.None).ConfigureAwait(false);
        return process.ExitCode;
    }

    private void AddStderr(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_stderr)
        {
            _stderr.Enqueue(line);
            while (_stderr.Count > StderrLines)
            {
                _stderr.Dequeue();
            }
        }
    }
}
