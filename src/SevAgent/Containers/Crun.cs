using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using SevAgent.Errors;
using SevAgent.Hosting;
using SevAgent.Native;

namespace SevAgent.Containers;

/// <summary>
/// Runs crun (ARCHITECTURE.md decision 6) with its state under &lt;state-dir&gt;/crun, through
/// <see cref="Spawner"/> and <see cref="ChildReaper"/>. Failures become INTERNAL with crun's
/// own message, which crun writes both to stderr and to its --log file.
/// </summary>
internal sealed class Crun
{
    private readonly Spawner _spawner;
    private readonly ChildReaper _reaper;
    private readonly ILogger<Crun> _log;
    private readonly string _root;

    public Crun(Spawner spawner, ChildReaper reaper, AgentOptions options, ILogger<Crun> log)
    {
        _spawner = spawner;
        _reaper = reaper;
        _log = log;
        _root = Path.Combine(options.StateDir, "crun");
        Binary = options.CrunPath ?? Find();
    }

    /// <summary>The crun executable.</summary>
    public string Binary { get; }

    /// <summary>
    /// Runs a crun command that needs no stdio of its own (start, kill, delete, pause, ...) and
    /// returns its stdout; throws INTERNAL with crun's stderr when it fails.
    /// </summary>
    public async Task<string> RunAsync(string what, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        using var devNull = Fd.DevNull();
        var (outRead, outWrite) = Fd.Pipe();
        var (errRead, errWrite) = Fd.Pipe();
        int pid;
        using (outWrite)
        using (errWrite)
        {
            pid = _spawner.Spawn(Binary, Args(args, null), devNull, outWrite, errWrite);
        }

        var stdout = ReadAllAsync(outRead);
        var stderr = ReadAllAsync(errRead);
        var status = await _reaper.WatchAsync(pid).WaitAsync(cancellationToken).ConfigureAwait(false);
        var output = await stdout.ConfigureAwait(false);
        var errors = await stderr.ConfigureAwait(false);
        var code = ChildReaper.ExitCode(status);
        _log.LogDebug("crun {Args} exited {Code}", string.Join(' ', args), code);
        if (code != 0)
        {
            throw AgentException.Internal($"{what}: crun {args[0]} failed (exit {code}): {errors.Trim()}");
        }

        return output;
    }

    /// <summary>
    /// Runs a crun command whose stdio is handed on to a container process (create, exec);
    /// the error text comes from <paramref name="logFile"/>. Returns when crun exited.
    /// </summary>
    public async Task RunWithStdioAsync(
        string what, IReadOnlyList<string> args, string logFile, SafeHandle stdin, SafeHandle stdout, SafeHandle stderr,
        CancellationToken cancellationToken)
    {
        var pid = _spawner.Spawn(Binary, Args(args, logFile), stdin, stdout, stderr);
        var status = await _reaper.WatchAsync(pid).WaitAsync(cancellationToken).ConfigureAwait(false);
        var code = ChildReaper.ExitCode(status);
        _log.LogDebug("crun {Args} exited {Code}", string.Join(' ', args), code);
        if (code != 0)
        {
            var message = File.Exists(logFile) ? (await File.ReadAllTextAsync(logFile, cancellationToken).ConfigureAwait(false)).Trim() : "no log";
            throw AgentException.Internal($"{what}: crun {args[0]} failed (exit {code}): {message}");
        }
    }

    private List<string> Args(IReadOnlyList<string> args, string? logFile)
    {
        var all = new List<string> { "--root", _root };
        if (logFile is not null)
        {
            all.Add("--log=file:" + logFile);
        }

        all.AddRange(args);
        return all;
    }

    private static Task<string> ReadAllAsync(SafeFileHandle handle) => Task.Run(() =>
    {
        using var stream = new FileStream(handle, FileAccess.Read, bufferSize: 0);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    private static string Find()
    {
        foreach (var dir in new[] { "/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin" })
        {
            var candidate = Path.Combine(dir, "crun");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return "/usr/bin/crun";
    }
}
