namespace Sev.Attestation;

/// <summary>What a successful pre-attestation saw (for the log; no secret material).</summary>
/// <param name="Launch">query-sev's answer.</param>
/// <param name="Measurement">The firmware's 32-byte LAUNCH_MEASURE HMAC, hex.</param>
/// <param name="MatchedDigest">The accepted launch digest it matched, hex.</param>
/// <param name="SecretsInjected">How many secrets were injected.</param>
public sealed record PreAttestationResult(SevLaunchState Launch, string Measurement, string MatchedDigest, int SecretsInjected);
