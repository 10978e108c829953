namespace SevAgent.Guest;

/// <summary>
/// What the guest sees of SEV (MSR 0xc0010131, SEV_STATUS: bit 0 SEV, bit 1 SEV-ES, bit 2 SNP).
/// When <see cref="Known"/> is false the MSR could not be read and <see cref="Reason"/> says why;
/// <see cref="KernelMessage"/> is the kernel's memory-encryption line, read either way.
/// </summary>
internal sealed record SevReading(bool Known, bool Sev, bool SevEs, bool Snp, ulong MsrValue, string Reason, string KernelMessage)
{
    /// <summary>Nothing read yet.</summary>
    public static SevReading Unread { get; } = new(false, false, false, false, 0, string.Empty, string.Empty);
}
