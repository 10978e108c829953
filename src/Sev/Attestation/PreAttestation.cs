using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Qemu;
using Sev.Measurement;

namespace Sev.Attestation;

/// <summary>
/// SEV/SEV-ES pre-attestation of a VM that QEMU started paused (<c>-S</c>) with the guest owner's
/// launch session (SEV.md 2.5, 4.1, 5.2, 5.5; the order of QEMU's docs and Kata's
/// sevGuestAttestation): <c>query-sev</c> (SEV enabled, policy as launched, state launch-secret),
/// <c>query-sev-launch-measure</c> (48 bytes: HMAC ‖ MNONCE), the HMAC recomputed with the TIK
/// over each accepted launch digest, then <c>sev-inject-launch-secret</c> when there are secrets
/// (only valid in state launch-secret), then <c>cont</c> (LAUNCH_FINISH runs on the first
/// transition to running). Any refusal throws <see cref="PreAttestationException"/> and leaves
/// the VM paused: the caller destroys it. The transport is <see cref="QmpClient"/>; this type
/// holds only the decisions. Nothing secret (keys, secret table, packet) enters a message.
/// </summary>
public static class PreAttestation
{
    /// <summary>Runs the flow; <paramref name="timeout"/> bounds the whole QMP exchange.</summary>
    public static async Task<PreAttestationResult> RunAsync(
        QmpClient qmp, PreAttestationRequest request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(qmp);
        ArgumentNullException.ThrowIfNull(request);
        Validate(request);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var step = "query-sev";
        try
        {
            var launch = SevLaunchState.Parse(await ExecuteAsync(qmp, step, null, limit.Token).ConfigureAwait(false));
            CheckLaunch(launch, request.ExpectedPolicy);

            step = "query-sev-launch-measure";
            var blob = DecodeMeasure(await ExecuteAsync(qmp, step, null, limit.Token).ConfigureAwait(false));
            var matched = Match(request, launch.Platform, blob);

            var injected = 0;
            if (request.Secrets.Count > 0)
            {
                step = "sev-inject-launch-secret";
                await InjectAsync(qmp, request, blob, limit.Token).ConfigureAwait(false);
                injected = request.Secrets.Count;
            }

            step = "cont";
            await ExecuteAsync(qmp, step, null, limit.Token).ConfigureAwait(false);
            return new PreAttestationResult(launch, Convert.ToHexStringLower(blob.AsSpan(0, LaunchMeasure.MeasureSize)), matched, injected);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PreAttestationException(
                $"QEMU did not answer QMP '{step}' within {timeout.TotalSeconds:0} s; the VM stays paused and is not trusted");
        }
    }

    /// <summary>The accepted digest (hex) the blob's HMAC was made over; throws with every expected value when none.</summary>
    internal static string Match(PreAttestationRequest request, SevPlatformInfo platform, byte[] blob)
    {
        foreach (var digest in request.AcceptedDigests)
        {
            if (LaunchMeasure.Verify(request.Tik.Span, platform, digest.Span, blob))
            {
                return Convert.ToHexStringLower(digest.Span);
            }
        }

        var nonce = blob[LaunchMeasure.MeasureSize..];
        var expected = request.AcceptedDigests.Select(d =>
            $"{Convert.ToHexStringLower(LaunchMeasure.Compute(request.Tik.Span, platform, d.Span, nonce))} (HMAC over launch digest {Convert.ToHexStringLower(d.Span)})");
        throw new PreAttestationException(
            $"the launch measurement does not match: the firmware measured {Convert.ToHexStringLower(blob.AsSpan(0, LaunchMeasure.MeasureSize))}, " +
            $"expected {string.Join(" or ", expected)} for API {platform.ApiMajor}.{platform.ApiMinor} build {platform.BuildId} policy 0x{platform.Policy:x}. " +
            "The firmware, kernel, initrd or kernel command line is not the one measured, or the launch session (TIK) is another one");
    }

    private static void Validate(PreAttestationRequest r)
    {
        if (r.Tik.Length != LaunchMeasure.KeySize)
        {
            throw new ArgumentException($"the TIK must be {LaunchMeasure.KeySize} bytes, got {r.Tik.Length}", nameof(r));
        }

        if (r.AcceptedDigests.Count == 0 || r.AcceptedDigests.Any(d => d.Length != LaunchMeasure.DigestSize))
        {
            throw new ArgumentException($"at least one accepted launch digest of {LaunchMeasure.DigestSize} bytes is needed", nameof(r));
        }

        if (r.Secrets.Count > 0 && r.Tek.Length != LaunchMeasure.KeySize)
        {
            throw new ArgumentException($"injecting a secret needs the {LaunchMeasure.KeySize}-byte TEK, got {r.Tek.Length} bytes", nameof(r));
        }
    }

    private static void CheckLaunch(SevLaunchState launch, uint expectedPolicy)
    {
        if (!launch.Enabled)
        {
            throw new PreAttestationException("QEMU runs this VM without SEV (query-sev: enabled = false): it has no launch measurement to check");
        }

        if (launch.Platform.Policy != expectedPolicy)
        {
            throw new PreAttestationException(
                $"QEMU launched the guest with policy 0x{launch.Platform.Policy:x}, not the configured 0x{expectedPolicy:x}");
        }

        if (launch.State != SevLaunchState.LaunchSecretState)
        {
            throw new PreAttestationException(
                $"the SEV launch is in state '{launch.State}', not '{SevLaunchState.LaunchSecretState}': QEMU must start paused (-S) for pre-attestation");
        }
    }

    private static byte[] DecodeMeasure(JsonNode? value)
    {
        var data = (value as JsonObject)?["data"] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        if (data is null)
        {
            throw new PreAttestationException($"QEMU's query-sev-launch-measure answer has no \"data\" string: {value?.ToJsonString() ?? "null"}");
        }

        byte[] blob;
        try
        {
            blob = Convert.FromBase64String(data);
        }
        catch (FormatException ex)
        {
            throw new PreAttestationException($"QEMU's launch measurement is not base64: {data}", ex);
        }

        if (blob.Length != LaunchMeasure.BlobSize)
        {
            throw new PreAttestationException(
                $"QEMU's launch measurement is {blob.Length} bytes, not {LaunchMeasure.BlobSize} (32-byte HMAC and 16-byte MNONCE)");
        }

        return blob;
    }

    private static async Task InjectAsync(QmpClient qmp, PreAttestationRequest request, byte[] blob, CancellationToken cancellationToken)
    {
        LaunchSecretPacket packet;
        try
        {
            packet = LaunchSecret.BuildWithRandomIv(request.Tek.Span, request.Tik.Span, blob, request.Secrets, request.SecretAreaSize);
        }
        catch (MeasurementException ex)
        {
            throw new PreAttestationException($"the launch secret cannot be built: {ex.Message}", ex);
        }

        // No "gpa": QEMU then uses the OVMF secret block from the firmware's footer table (SEV.md 2.5).
        var arguments = new JsonObject
        {
            ["packet-header"] = packet.HeaderBase64,
            ["secret"] = packet.SecretBase64,
        };
        await ExecuteAsync(qmp, "sev-inject-launch-secret", arguments, cancellationToken).ConfigureAwait(false);
    }

    private static async Task<JsonNode?> ExecuteAsync(QmpClient qmp, string command, JsonObject? arguments, CancellationToken cancellationToken)
    {
        try
        {
            return await qmp.ExecuteAsync(command, arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (QmpErrorException ex)
        {
            // QEMU without SEV answers query-sev with "SEV feature is not available" (or
            // CommandNotFound on a build without it); its words are kept.
            throw new PreAttestationException($"QEMU refused '{command}': {ex.ErrorClass}: {ex.Description}", ex);
        }
        catch (QmpConnectionClosedException ex)
        {
            throw new PreAttestationException($"QEMU closed its QMP connection during '{command}' (it exited?): {ex.Message}", ex);
        }
        catch (CryptographicException ex)
        {
            throw new PreAttestationException($"'{command}' failed: {ex.Message}", ex);
        }
    }
}
