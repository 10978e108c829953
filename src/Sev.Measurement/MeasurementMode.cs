namespace Sev.Measurement;

/// <summary>The kind of confidential guest whose launch digest is computed.</summary>
public enum MeasurementMode
{
    /// <summary>SEV: SHA-256 over firmware and hashes table.</summary>
    Sev,

    /// <summary>SEV-ES: SEV plus one VMSA per vCPU.</summary>
    SevEs,

    /// <summary>SEV-SNP: the SHA-384 PAGE_INFO chain.</summary>
    Snp,
}
