namespace SevShim.Config;

/// <summary>confidential.attestation: whether and how the shim checks the launch measurement before the pod's first container.</summary>
internal enum AttestationMode
{
    /// <summary>No pre-attestation: the guest starts at once (the guest check after boot still runs).</summary>
    None,

    /// <summary>
    /// SEV/SEV-ES pre-attestation: QEMU starts paused, the shim verifies the launch measurement
    /// with the guest owner's TIK, injects the configured secret, then lets the guest run.
    /// </summary>
    Pre,

    /// <summary>
    /// SEV-SNP attestation report: once the guest runs, the agent asks its firmware for a report
    /// bound to a nonce the shim chose; the shim verifies it under AMD's key chain and checks the
    /// measurement and policy before the first container is created (src/Sev/Attestation/Snp).
    /// </summary>
    Report,
}
