namespace SevShim.Agent;

/// <summary>
/// What the agent read of the guest's memory encryption (SevAgent GuestInfoReader): the
/// SEV_STATUS MSR when <see cref="MsrKnown"/> (else <see cref="Reason"/> says why not), and the
/// kernel's memory-encryption boot line (empty when it printed none). Guest data: judged by
/// Confidential.GuestSevVerifier, never trusted as it stands.
/// </summary>
internal sealed record GuestSevStatus(bool MsrKnown, ulong MsrValue, string Reason, string KernelMessage, bool Sev, bool SevEs, bool Snp);
