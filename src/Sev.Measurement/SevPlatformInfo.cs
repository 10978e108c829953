namespace Sev.Measurement;

/// <summary>
/// The platform facts QMP query-sev reports that enter the LAUNCH_MEASURE HMAC: api-major,
/// api-minor and build-id (one byte each) and the guest policy (u32, little-endian in the HMAC).
/// </summary>
/// <param name="ApiMajor">query-sev api-major.</param>
/// <param name="ApiMinor">query-sev api-minor.</param>
/// <param name="BuildId">query-sev build-id.</param>
/// <param name="Policy">query-sev policy.</param>
public sealed record SevPlatformInfo(byte ApiMajor, byte ApiMinor, byte BuildId, uint Policy);
