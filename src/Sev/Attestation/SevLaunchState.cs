using System.Text.Json.Nodes;
using Sev.Measurement;

namespace Sev.Attestation;

/// <summary>
/// QMP <c>query-sev</c>'s answer (SEV.md 2.5, QEMU qapi/misc-i386.json SevInfo): whether SEV is
/// enabled, the firmware's API version and build, the guest policy and the launch state
/// (uninit, launch-update, launch-secret, running, send-update, receive-update). QEMU 9.1 and
/// later flatten a "sev-type" union into the same object, so "policy" stays at the top level
/// for SEV and SEV-ES guests.
/// </summary>
/// <param name="Enabled">"enabled".</param>
/// <param name="Platform">api-major, api-minor, build-id and policy: the inputs of the LAUNCH_MEASURE HMAC.</param>
/// <param name="State">"state".</param>
public sealed record SevLaunchState(bool Enabled, SevPlatformInfo Platform, string State)
{
    /// <summary>The state in which a paused (-S) SEV guest has been measured and may receive a secret.</summary>
    public const string LaunchSecretState = "launch-secret";

    /// <summary>Reads a query-sev "return" value; throws <see cref="PreAttestationException"/> for a malformed one.</summary>
    public static SevLaunchState Parse(JsonNode? value)
    {
        if (value is not JsonObject o)
        {
            throw new PreAttestationException($"QEMU's query-sev answer is not an object: {value?.ToJsonString() ?? "null"}");
        }

        try
        {
            var platform = new SevPlatformInfo(
                Byte(o, "api-major"),
                Byte(o, "api-minor"),
                Byte(o, "build-id"),
                o["policy"]?.GetValue<uint>() ?? throw Missing("policy"));
            return new SevLaunchState(
                o["enabled"]?.GetValue<bool>() ?? throw Missing("enabled"),
                platform,
                o["state"]?.GetValue<string>() ?? throw Missing("state"));
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or OverflowException)
        {
            throw new PreAttestationException($"QEMU's query-sev answer has a field of the wrong type ({ex.Message}): {o.ToJsonString()}", ex);
        }
    }

    private static byte Byte(JsonObject o, string name) => o[name]?.GetValue<byte>() ?? throw Missing(name);

    private static PreAttestationException Missing(string name) => new($"QEMU's query-sev answer lacks \"{name}\"");
}
