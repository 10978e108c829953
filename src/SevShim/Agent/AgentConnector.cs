using Grpc.Core;
using Grpc.Net.Client;
using Serilog;
using SevAgentProto;
using SevShim.Errors;
using Proto = SevAgent.Protocol.V1;

namespace SevShim.Agent;

/// <summary>
/// Opens the shim's link to the pod's agent: one gRPC channel (one HTTP/2 connection) over QEMU's
/// chardev unix socket of the virtio-serial port. <see cref="ConnectAsync"/> retries until the
/// agent answers Health: before the guest's agent opens its port, QEMU accepts the connection but
/// drops what the host sends (ARCHITECTURE "Facts measured"), so a silent attempt is abandoned
/// and a fresh connection made.
/// </summary>
internal static class AgentConnector
{
    /// <summary>
    /// Connects over <paramref name="socketPath"/>, retrying until the agent answers or
    /// <paramref name="bootTimeout"/> passes. <paramref name="vmExited"/> completing (QEMU died)
    /// ends the wait at once. On failure the error quotes <paramref name="describeFailure"/>
    /// (the guest console's tail).
    /// </summary>
    public static async Task<GuestAgent> ConnectAsync(
        string socketPath,
        string? stdioSocketPath,
        TimeSpan bootTimeout,
        TimeSpan attemptLimit,
        Task vmExited,
        Func<string> describeFailure,
        ILogger log,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vmExited);
        ArgumentNullException.ThrowIfNull(describeFailure);
        ArgumentNullException.ThrowIfNull(log);
        using var boot = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        boot.CancelAfter(bootTimeout);

        // QEMU dying ends the wait at once.
        _ = vmExited.ContinueWith(
            _ =>
            {
                try
                {
                    boot.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The wait was over before QEMU exited.
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        var started = DateTimeOffset.UtcNow;

        // The channel's handshake (AgentChannel.ForVirtioSerial) is what probes for a booted
        // agent: a sync line sent before the agent opened its port is dropped by the guest, so each
        // handshake attempt is short and retried on a fresh connection until the call's deadline.
        // Once the handshake is answered the agent is up, and its first gRPC answer may take
        // seconds under TCG on a loaded host: the Health call itself is never cut short (cutting
        // it closed the connection and started over, again and again, on slow hosts).
        var handshakeAttempt = TimeSpan.FromTicks(Math.Min(TimeSpan.FromSeconds(3).Ticks, attemptLimit.Ticks));
        string lastError = "no attempt made";
        while (true)
        {
            if (vmExited.IsCompleted)
            {
                throw new ShimException(ShimErrorKind.Unavailable, $"sevshim: the pod VM stopped before its agent answered; guest console:\n{describeFailure()}");
            }

            if (boot.IsCancellationRequested)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw new ShimException(
                    ShimErrorKind.DeadlineExceeded,
                    $"sevshim: the agent in the pod VM did not answer within {bootTimeout.TotalSeconds:0} s (timeouts.boot_seconds; last error: {lastError}); guest console:\n{describeFailure()}");
            }

            if (!File.Exists(socketPath))
            {
                lastError = $"{socketPath} does not exist yet";
                await Task.WhenAny(vmExited, Task.Delay(TimeSpan.FromMilliseconds(250), boot.Token)).ConfigureAwait(false);
                continue;
            }

            var channel = AgentChannel.ForVirtioSerial(socketPath, attemptTimeout: handshakeAttempt);
            try
            {
                var client = new Proto.Agent.AgentClient(channel);
                var health = await client.HealthAsync(new Proto.HealthRequest(), cancellationToken: boot.Token).ConfigureAwait(false);
                if (health.Status == Proto.HealthResponse.Types.ServingStatus.Serving)
                {
                    log.Information(
                        "agent {Version} answered after {Seconds:0.0} s",
                        health.AgentVersion,
                        (DateTimeOffset.UtcNow - started).TotalSeconds);
                    var stdio = stdioSocketPath is null ? null : await ConnectStdioAsync(stdioSocketPath, log, boot.Token).ConfigureAwait(false);
                    return new GuestAgent(channel, stdio);
                }

                lastError = "agent not serving yet";
            }
            catch (RpcException ex)
            {
                lastError = $"{ex.StatusCode}: {ex.Status.Detail}";
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                lastError = "no answer";
            }

            channel.Dispose();

            // A refused or dropped connection: pace the next try.
            await Task.WhenAny(vmExited, Task.Delay(TimeSpan.FromMilliseconds(250), boot.Token)).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Opens the stdio link once the agent answered (its port is served from then on). A guest
    /// that does not answer within <see cref="StdioConnectTimeout"/> keeps stdio on gRPC, with a warning.
    /// </summary>
    private static async Task<StdioLink?> ConnectStdioAsync(string socketPath, ILogger log, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(StdioConnectTimeout);
        try
        {
            var stream = await AgentChannel.ConnectVirtioSerialAsync(socketPath, TimeSpan.FromSeconds(2), limit.Token).ConfigureAwait(false);
            return new StdioLink(stream, Io.ChunkPool.Shared, log);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            log.Warning(
                "stdio: the agent did not answer on its stdio port within {Seconds} s; process stdio goes over gRPC (slower): rebuild the guest image with this shim (scripts/build.sh)",
                StdioConnectTimeout.TotalSeconds);
            return null;
        }
    }

    private static readonly TimeSpan StdioConnectTimeout = TimeSpan.FromSeconds(10);
}
