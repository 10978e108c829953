namespace Sev.Launch;

/// <summary>What the sandbox asks for; the configuration's [confidential] and [vm] keys.</summary>
public sealed record SevLaunchRequest
{
    /// <summary>confidential.mode.</summary>
    public required SevMode Mode { get; init; }

    /// <summary>confidential.policy; null uses <see cref="SevPolicy.Default"/>.</summary>
    public ulong? Policy { get; init; }

    /// <summary>vm.firmware: the OVMF AmdSev build (pflash for SEV/SEV-ES, -bios for SNP).</summary>
    public required string FirmwarePath { get; init; }

    /// <summary>vm.memory_mib.</summary>
    public required int GuestMemoryMiB { get; init; }

    /// <summary>confidential.swiotlb_slabs; null uses <see cref="SwiotlbSize.Slabs"/>.</summary>
    public int? SwiotlbSlabs { get; init; }

    /// <summary>
    /// The guest owner's DH certificate file (base64, sev-guest dh-cert-file; SEV.md 5.3), or null:
    /// with <see cref="SessionFile"/> the launch uses the guest owner's session, so the guest
    /// owner holds the TIK that checks the measurement. SEV/SEV-ES only.
    /// </summary>
    public string? DhCertFile { get; init; }

    /// <summary>The guest owner's launch session file (base64, sev-guest session-file), or null. SEV/SEV-ES only.</summary>
    public string? SessionFile { get; init; }

    /// <summary>Start the VM paused (-S) for pre-attestation: measurement, secret injection, then QMP cont.</summary>
    public bool StartPaused { get; init; }

    /// <summary>The QOM id of the SEV object, referenced by the machine's confidential-guest-support.</summary>
    public string ObjectId { get; init; } = "sev0";
}
