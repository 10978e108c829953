namespace Sev.Attestation.Snp;

/// <summary>Which byte layout a processor generation gives its TCB_VERSION (see <see cref="SnpTcb"/>).</summary>
public enum SnpTcbLayout
{
    /// <summary>Milan and Genoa (and their variants).</summary>
    MilanGenoa,

    /// <summary>Turin: an FMC SVN first.</summary>
    Turin,
}
