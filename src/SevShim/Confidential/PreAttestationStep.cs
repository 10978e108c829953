using Qemu;
using Serilog;
using Sev.Attestation;
using SevShim.Config;
using SevShim.Errors;

namespace SevShim.Confidential;

/// <summary>
/// The sandbox's pre-attestation step (issue 5 part 4, ARCHITECTURE decision 9), between QEMU's
/// start (paused, -S) and the agent connection: connects to QEMU's QMP socket, runs src/Sev's
/// <see cref="PreAttestation"/> with the configured session keys, digests and secret, and turns a
/// refusal into a FailedPrecondition <see cref="ShimException"/>; the caller then destroys the VM.
/// The QMP exchange is bounded by timeouts.boot_seconds; after <c>cont</c> the agent connection
/// has its own boot timeout, which is what ends a measured boot that hangs in OVMF (SEV.md
/// pitfall 11). Logs digests and counts only: the keys and the secret are never logged and are
/// wiped from memory when the step ends.
/// </summary>
internal static class PreAttestationStep
{
    /// <summary>Runs the step when confidential.attestation = "pre"; returns at once otherwise.</summary>
    public static async Task RunAsync(
        ShimConfig config,
        string qmpSocket,
        PreAttestationRequest request,
        Task qemuExited,
        Func<string> describeFailure,
        ILogger log,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(qemuExited);
        ArgumentNullException.ThrowIfNull(describeFailure);
        ArgumentNullException.ThrowIfNull(log);
        try
        {
            log.Information("pre-attestation: {Request}", request.ToString());
            await using var qmp = await ConnectAsync(qmpSocket, config.BootTimeout, qemuExited, describeFailure, cancellationToken).ConfigureAwait(false);
            var result = await PreAttestation.RunAsync(qmp, request, config.BootTimeout, cancellationToken).ConfigureAwait(false);
            log.Information(
                "pre-attestation passed: launch measurement {Measurement} matches launch digest {Digest} (SEV API {Major}.{Minor} build {Build}, policy 0x{Policy:x}); {Secrets} secret(s) injected; guest continues",
                result.Measurement,
                result.MatchedDigest,
                result.Launch.Platform.ApiMajor,
                result.Launch.Platform.ApiMinor,
                result.Launch.Platform.BuildId,
                result.Launch.Platform.Policy,
                result.SecretsInjected);
        }
        catch (PreAttestationException ex)
        {
            throw new ShimException(
                ShimErrorKind.FailedPrecondition,
                $"sevshim: pre-attestation (confidential.attestation = \"pre\") refused the pod VM, which was destroyed: {ex.Message}",
                ex);
        }
        finally
        {
            PreAttestationInputs.Clear(request);
        }
    }

    // QEMU creates its QMP socket while it starts: retry until it accepts, QEMU exits or the time is up.
    private static async Task<QmpClient> ConnectAsync(
        string socket, TimeSpan timeout, Task qemuExited, Func<string> describeFailure, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var lastError = "no attempt made";
        while (true)
        {
            if (qemuExited.IsCompleted)
            {
                throw new ShimException(ShimErrorKind.Unavailable, $"sevshim: QEMU exited before pre-attestation could start: {describeFailure()}");
            }

            if (limit.IsCancellationRequested)
            {
                cancellationToken.ThrowIfCancellationRequested();
                throw TimedOut(timeout, lastError);
            }

            try
            {
                if (File.Exists(socket))
                {
                    return await QmpClient.ConnectAsync(socket, limit.Token).ConfigureAwait(false);
                }

                lastError = $"{socket} does not exist yet";
                await Task.WhenAny(qemuExited, Task.Delay(TimeSpan.FromMilliseconds(100), limit.Token)).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                lastError = ex.Message;
                await Task.WhenAny(qemuExited, Task.Delay(TimeSpan.FromMilliseconds(100), limit.Token)).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw TimedOut(timeout, lastError);
            }
        }
    }

    private static ShimException TimedOut(TimeSpan timeout, string lastError) => new(
        ShimErrorKind.DeadlineExceeded,
        $"sevshim: QEMU's QMP socket did not answer within {timeout.TotalSeconds:0} s (timeouts.boot_seconds; last error: {lastError})");
}
