using Sev;

namespace SevShim.Config;

/// <summary>The configuration's mode as src/Sev's, whose policy rules and launch plan the shim uses.</summary>
internal static class ConfidentialModeExtensions
{
    /// <summary>Config mode to src/Sev's mode (one to one).</summary>
    public static SevMode ToSevMode(this ConfidentialMode mode) => mode switch
    {
        ConfidentialMode.Sev => SevMode.Sev,
        ConfidentialMode.SevEs => SevMode.SevEs,
        ConfidentialMode.SevSnp => SevMode.SevSnp,
        _ => SevMode.None,
    };
}
