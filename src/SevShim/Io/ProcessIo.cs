using Grpc.Core;
using Serilog;
using SevShim.Agent;
using SevShim.Sandbox;
using Proto = SevAgent.Protocol.V1;

namespace SevShim.Io;

/// <summary>
/// The stdio of one guest process: up to three pumps between containerd's FIFOs and the agent's
/// streams (SHIM-PROTOCOL.md 5, agent.proto ReadStdout/ReadStderr/WriteStdin). Each pump copies
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
    private readonly CancellationTokenSource _stop = new();
    private readonly List<PollableFd> _fds = [];
    private readonly List<Task> _pumps = [];
    private PollableFd? _stdinKeepAlive;

    private ProcessIo(Proto.Stdio flags) => Flags = flags;

    /// <summary>Which streams the agent must provide for this process.</summary>
    public Proto.Stdio Flags { get; }

    /// <summary>Completes when every output stream reached EOF and was copied out (at once when there is none).</summary>
    public Task OutputDrained { get; private set; } = Task.CompletedTask;

    /// <summary>
    /// Opens the host ends (before the process is created in the guest, so a bad path fails the
    /// create instead of losing output). With a terminal, stderr is not used.
    /// </summary>
    public static ProcessIo Open(StdioPaths stdio)
    {
        ArgumentNullException.ThrowIfNull(stdio);
        var io = new ProcessIo(new Proto.Stdio
        {
            Stdin = stdio.Stdin.Length > 0,
            Stdout = stdio.Stdout.Length > 0,
            Stderr = !stdio.Terminal && stdio.Stderr.Length > 0,
            Terminal = stdio.Terminal,
        });
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

    /// <summary>Starts the pumps for process (<paramref name="containerId"/>, <paramref name="execId"/>) once the agent knows it.</summary>
    public void Start(AgentClient agent, string containerId, string execId, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(agent);
        var token = _stop.Token;
        var request = new Proto.ReadStreamRequest { ContainerId = containerId, ExecId = execId };
        var outputs = new List<Task>();
        var options = new CallOptions(cancellationToken: token);
        if (Stdout is { } stdout)
        {
            outputs.Add(PumpThread.Run($"out-{containerId}", () => PumpOutput(() => agent.Invoker.AsyncServerStreamingCall(OutputStreamMethods.ReadStdout, null, options, request), stdout, log, token)));
        }

        if (Stderr is { } stderr)
        {
            outputs.Add(PumpThread.Run($"err-{containerId}", () => PumpOutput(() => agent.Invoker.AsyncServerStreamingCall(OutputStreamMethods.ReadStderr, null, options, request), stderr, log, token)));
        }

        OutputDrained = Task.WhenAll(outputs);
        _pumps.AddRange(outputs);
        if (Stdin is { } stdin)
        {
            _pumps.Add(PumpThread.Run($"in-{containerId}", () => PumpStdin(agent, containerId, execId, stdin, log, token)));
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

    // Chunks arrive in pooled buffers (OutputStreamMethods, issue #6): each goes back to its pool
    // once written out or discarded, before the next one is asked for.
    private static void PumpOutput(Func<AsyncServerStreamingCall<PooledChunk>> open, PollableFd target, ILogger log, CancellationToken token)
    {
        using var call = open();
        var broken = false;
        try
        {
            while (call.ResponseStream.MoveNext(token).GetAwaiter().GetResult())
            {
                using var chunk = call.ResponseStream.Current;
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
        catch (RpcException ex) when (ex.StatusCode is StatusCode.Cancelled or StatusCode.Unavailable && token.IsCancellationRequested)
        {
            // Stopped by DisposeAsync.
        }
        catch (RpcException ex)
        {
            log.Warning("stdio: output stream to {Path} ended early: {Status}: {Detail}", target.Path, ex.StatusCode, ex.Status.Detail);
        }
        finally
        {
            // EOF for the client: our fd is the last writer the shim holds for this stream.
            target.Dispose();
        }
    }

    private static void PumpStdin(AgentClient agent, string containerId, string execId, PollableFd source, ILogger log, CancellationToken token)
    {
        var buffer = new byte[ChunkSize];
        using var call = agent.Raw.WriteStdin(cancellationToken: token);
        try
        {
            var first = true;
            while (true)
            {
                var n = source.Read(buffer, token);
                if (n == 0)
                {
                    break;
                }

                var chunk = new Proto.StdinChunk { Data = Google.Protobuf.ByteString.CopyFrom(buffer, 0, n) };
                if (first)
                {
                    chunk.ContainerId = containerId;
                    chunk.ExecId = execId;
                    first = false;
                }

                call.RequestStream.WriteAsync(chunk, token).GetAwaiter().GetResult();
            }

            if (first)
            {
                // Nothing was sent: name the process so the agent can attach the (empty) stream.
                call.RequestStream.WriteAsync(new Proto.StdinChunk { ContainerId = containerId, ExecId = execId }, token).GetAwaiter().GetResult();
            }

            call.RequestStream.CompleteAsync().GetAwaiter().GetResult();
            call.ResponseAsync.GetAwaiter().GetResult();
            AgentClient.CallAsync(
                "closing stdin",
                () => agent.Raw.CloseStdinAsync(new Proto.CloseStdinRequest { ContainerId = containerId, ExecId = execId }, cancellationToken: token))
                .GetAwaiter().GetResult();
        }
        catch (OperationCanceledException)
        {
            // Stopped by DisposeAsync.
        }
        catch (Exception ex) when (ex is RpcException or InvalidOperationException or Errors.ShimException or IOException)
        {
            // The process exited (its stdin is gone) or the VM went away: nothing left to feed.
            if (!token.IsCancellationRequested)
            {
                log.Debug("stdio: stdin of {Container}/{Exec} ended: {Message}", containerId, execId, ex.Message);
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
