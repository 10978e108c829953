namespace SevShim.Confidential;

/// <summary>
/// Whether the guest runs with the requested memory encryption, and the evidence: what each
/// source (SEV_STATUS MSR, kernel boot line) said, quoted in logs and in the refusal.
/// </summary>
/// <param name="Active">True only when the requested mode is shown active by every source present, and one source at least.</param>
/// <param name="Seen">What the guest runs with, e.g. "SEV", "SEV SEV-ES", "no encryption", "unknown".</param>
/// <param name="Evidence">Each source's word, e.g. "SEV_STATUS MSR = 0x1; kernel: \"Memory Encryption Features active: AMD SEV\"".</param>
internal sealed record GuestSevVerdict(bool Active, string Seen, string Evidence);
