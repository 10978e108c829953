namespace Sev;

/// <summary>The configuration and command-line spelling of <see cref="SevMode"/>: none, sev, sev-es, sev-snp.</summary>
public static class SevModeNames
{
    /// <summary>The three confidential modes, weakest first.</summary>
    public static IReadOnlyList<SevMode> Confidential { get; } = [SevMode.Sev, SevMode.SevEs, SevMode.SevSnp];

    /// <summary>"none", "sev", "sev-es" or "sev-snp".</summary>
    public static string Name(this SevMode mode) => mode switch
    {
        SevMode.None => "none",
        SevMode.Sev => "sev",
        SevMode.SevEs => "sev-es",
        SevMode.SevSnp => "sev-snp",
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "unknown SEV mode"),
    };

    /// <summary>"SEV", "SEV-ES", "SEV-SNP" (or "none") for human output.</summary>
    public static string DisplayName(this SevMode mode) => mode == SevMode.None ? "none" : mode.Name().ToUpperInvariant();

    /// <summary>Parses a mode name; throws naming the accepted values.</summary>
    public static SevMode Parse(string text) =>
        Find(text) ?? throw new ArgumentException($"unknown SEV mode '{text}': use none, sev, sev-es or sev-snp", nameof(text));

    /// <summary>The mode named <paramref name="text"/> ("none", "sev", "sev-es", "sev-snp"), or null.</summary>
    public static SevMode? Find(string? text) => text switch
    {
        "none" => SevMode.None,
        "sev" => SevMode.Sev,
        "sev-es" => SevMode.SevEs,
        "sev-snp" => SevMode.SevSnp,
        _ => null,
    };
}
