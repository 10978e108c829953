namespace SevShim.Agent;

/// <summary>
/// What the agent returned for an attestation request: the report and the host's certificate
/// table as the guest kernel gave them, and the provider's name. Untrusted until verified
/// (src/Sev/Attestation/Snp): it passed through the guest and, for the table, the host.
/// </summary>
internal sealed record GuestAttestationReport(byte[] Report, byte[] Certificates, string Provider);
