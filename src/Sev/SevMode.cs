namespace Sev;

/// <summary>Memory encryption a pod VM asks for (ARCHITECTURE decision 8).</summary>
public enum SevMode
{
    /// <summary>No memory encryption.</summary>
    None,

    /// <summary>AMD SEV: encrypted memory.</summary>
    Sev,

    /// <summary>SEV-ES: encrypted memory and register state.</summary>
    SevEs,

    /// <summary>SEV-SNP: SEV-ES plus memory integrity (reverse map table).</summary>
    SevSnp,
}
