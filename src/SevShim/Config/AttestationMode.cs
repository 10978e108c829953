namespace SevShim.Config;

/// <summary>confidential.attestation: whether the shim checks the launch measurement before the guest runs.</summary>
internal enum AttestationMode
{
    /// <summary>No pre-attestation: the guest starts at once (the guest check after boot still runs).</summary>
    None,

    /// <summary>
    /// SEV/SEV-ES pre-attestation: QEMU starts paused, the shim verifies the launch measurement
    /// with the guest owner's TIK, injects the configured secret, then lets the guest run.
    /// </summary>
    Pre,
}
