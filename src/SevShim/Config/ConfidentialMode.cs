namespace SevShim.Config;

/// <summary>
/// Memory encryption a pod VM must get (ARCHITECTURE decision 8). The shipped configuration asks
/// for <see cref="Sev"/>; a pod that cannot get the mode it asks for fails at Create, it is never
/// silently started unencrypted.
/// </summary>
internal enum ConfidentialMode
{
    /// <summary>No memory encryption (TCG or plain KVM guest).</summary>
    None,

    /// <summary>AMD SEV.</summary>
    Sev,

    /// <summary>AMD SEV-ES (encrypted register state).</summary>
    SevEs,

    /// <summary>AMD SEV-SNP (secure nested paging).</summary>
    SevSnp,
}
