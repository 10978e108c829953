namespace Sev.Attestation.Snp;

/// <summary>What a verified report must show (the verifier's own choices, never the guest's).</summary>
public sealed record SnpExpectations
{
    /// <summary>REPORT_DATA: the 64-byte nonce the verifier chose for this request.</summary>
    public required ReadOnlyMemory<byte> ReportData { get; init; }

    /// <summary>The policy the guest was launched with.</summary>
    public required ulong Policy { get; init; }

    /// <summary>Launch digests (48 bytes each) that count as this pod's firmware, kernel, initrd and command line.</summary>
    public required IReadOnlyList<ReadOnlyMemory<byte>> AcceptedMeasurements { get; init; }

    /// <summary>The VMPL the guest asked at (0 without an SVSM).</summary>
    public uint Vmpl { get; init; }

    /// <summary>A floor for the reported TCB (null: any TCB the VCEK was issued for).</summary>
    public SnpTcb? MinimumTcb { get; init; }
}
