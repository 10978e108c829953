using Serilog;
using SevShim.Agent;
using SevShim.Errors;
using SevShim.Sandbox;

namespace SevShim.Io;

/// <summary>
/// The stdio of one guest process: up to three pumps between containerd's FIFOs and the agent's
/// streams (SHIM-PROTOCOL.md 5; <see cref="IGuestAgent.OpenOutput"/>, <see cref="IGuestAgent.OpenStdin"/>). Each pump copies
/// one chunk at a time and waits for the far side before taking the next, so back-pressure
/// reaches the process (HTTP/2 flow control on the agent side, a full pipe on the FIFO side)
/// and nothing piles up in the shim. <see cref="OutputDrained"/> completes when stdout and
/// stderr reached EOF and were written out: the sandbox publishes the process's exit only after
/// it, so containerd never sees an exit before the output the process produced.
/// Ownership: owns the fds and pump threads; <see cref="DisposeAsync"/> stops and closes all.
/// </summary>
internal sealed class ProcessIo : IAsyncDisposable
{
    private const int ChunkSize = 32 * 1024;

    // How long an output FIFO's reader may take nothing before the exit is published anyway
    // (PollableFd.WaitForReader): long enough for a client descheduled on a loaded host, short
    // enough that a client that went away delays the exit only this much.
    private static readonly TimeSpan ReaderStall = TimeSpan.FromSeconds(2);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<PollableFd> _fds = [];
    private readonly List<Task> _pumps = [];
    private PollableFd? _stdinKeepAlive;

    private ProcessIo(GuestStdioFlags flags) => Flags = flags;

    /// <summary>Which streams the agent must provide for this process.</summary>
    public GuestStdioFlags Flags { get; }

    /// <summary>Completes when every output stream reached EOF and was copied out (at once when there is none).</summary>
    public Task OutputDrained { get; private set; } = Task.CompletedTask;

    /// <summary>
    /// Opens the host ends (before the process is created in the guest, so a bad path fails the
    /// create instead of losing output). With a terminal, stderr is not used.
    /// </summary>
    public static ProcessIo Open(StdioPaths stdio)
    {
        ArgumentNullException.ThrowIfNull(stdio);
        var io = new ProcessIo(new GuestStdioFlags(
            Stdin: stdio.Stdin.Length > 0,
            Stdout: stdio.Stdout.Length > 0,
            Stderr: !stdio.Terminal && stdio.Stderr.Length > 0,
            Terminal: stdio.Terminal));
        try
        {
            io.Stdout = StdioEndpoints.OpenOutput(stdio.Stdout);
            io.Stderr = stdio.Terminal ? null : StdioEndpoints.OpenOutput(stdio.Stderr);
            (io.Stdin, io._stdinKeepAlive) = StdioEndpoints.OpenInput(stdio.Stdin);
            foreach (var fd in new[] { io.Stdout, io.Stderr, io.Stdin, io._stdinKeepAlive })
            {
                if (fd is not null)
                {
                    io._fds.Add(fd);
                }
            }

            return io;
        }
        catch
        {
            io.CloseAll();
            throw;
        }
    }

    private PollableFd? Stdout { get; set; }

    private PollableFd? Stderr { get; set; }

    private PollableFd? Stdin { get; set; }

    /// <summary>Starts the pumps for <paramref name="process"/> once the agent knows it.</summary>
    public void Start(IGuestAgent agent, GuestProcessId process, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var token = _stop.Token;
        var outputs = new List<Task>();
        if (Stdout is { } stdout)
        {
            outputs.Add(PumpThread.Run($"out-{process.ContainerId}", () => PumpOutput(() => agent.OpenOutput(process, GuestOutputKind.Stdout, token), stdout, log, token)));
        }

        if (Stderr is { } stderr)
        {
            outputs.Add(PumpThread.Run($"err-{process.ContainerId}", () => PumpOutput(() => agent.OpenOutput(process, GuestOutputKind.Stderr, token), stderr, log, token)));
        }

        OutputDrained = Task.WhenAll(outputs);
        _pumps.AddRange(outputs);
        if (Stdin is { } stdin)
        {
            _pumps.Add(PumpThread.Run($"in-{process.ContainerId}", () => PumpStdin(agent, process, stdin, log, token)));
        }
    }

    /// <summary>
    /// containerd's CloseIO: drop the keep-alive writer, so the process reads EOF once the client
    /// closed its end too (at once if it never opened it).
    /// </summary>
    public void CloseStdin()
    {
        var keepAlive = Interlocked.Exchange(ref _stdinKeepAlive, null);
        keepAlive?.Dispose();
    }

    /// <summary>Stops every pump, waits for their threads and closes the fds.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_pumps).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            CloseAll();
            _stop.Dispose();
        }
    }

    // Chunks arrive in pooled buffers (Agent.OutputStreamMethods, issue #6): each goes back to its
    // pool once written out or discarded, before the next one is asked for.
    private static void PumpOutput(Func<IGuestOutputStream> open, PollableFd target, ILogger log, CancellationToken token)
    {
        using var stream = open();
        var broken = false;
        try
        {
            while (stream.ReadAsync(token).AsTask().GetAwaiter().GetResult() is { } chunk)
            {
                using (chunk)
                {
                    if (broken)
                    {
                        // Keep draining so the process is never blocked by a target that failed.
                        continue;
                    }

                    try
                    {
                        target.WriteAll(chunk.Span, token);
                    }
                    catch (IOException ex)
                    {
                        broken = true;
                        log.Warning("stdio: {Message}; further output of this stream is discarded", ex.Message);
                    }
                }
            }
        }
        catch (Exception ex) when (ex is ShimException or OperationCanceledException && token.IsCancellationRequested)
        {
            // Stopped by DisposeAsync.
        }
        catch (ShimException ex)
        {
            log.Warning("stdio: output stream to {Path} ended early: {Message}", target.Path, ex.Message);
        }
        finally
        {
            if (!broken && !token.IsCancellationRequested && target.WaitForReader(ReaderStall, token) is > 0 and var left
                && !token.IsCancellationRequested)
            {
                log.Warning("stdio: the reader of {Path} took nothing for {Seconds} s; the exit is published with {Bytes} bytes still unread", target.Path, ReaderStall.TotalSeconds, left);
            }

            // EOF for the client: our fd is the last writer the shim holds for this stream.
            target.Dispose();
        }
    }

    private static void PumpStdin(IGuestAgent agent, GuestProcessId process, PollableFd source, ILogger log, CancellationToken token)
    {
        var buffer = new byte[ChunkSize];
        using var stream = agent.OpenStdin(process, token);
        try
        {
            while (true)
            {
                var n = source.Read(buffer, token);
                if (n == 0)
                {
                    break;
                }

                stream.WriteAsync(buffer.AsMemory(0, n), token).GetAwaiter().GetResult();
            }

            stream.CompleteAsync(token).GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            // Stopped by DisposeAsync.
        }
        catch (Exception ex) when (ex is ShimException or InvalidOperationException or IOException)
        {
            // The process exited (its stdin is gone) or the VM went away: nothing left to feed.
            if (!token.IsCancellationRequested)
            {
                log.Debug("stdio: stdin of {Process} ended: {Message}", process.ToString(), ex.Message);
            }
        }
    }

    private void CloseAll()
    {
        foreach (var fd in _fds)
        {
            fd.Dispose();
        }
    }
}
