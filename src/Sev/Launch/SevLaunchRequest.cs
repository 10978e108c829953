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

    /// <summary>The QOM id of the SEV object, referenced by the machine's confidential-guest-support.</summary>
    public string ObjectId { get; init; } = "sev0";
}
