namespace Sev.Measurement;

/// <summary>
/// QEMU -cpu model names and their CPUID(1).EAX signature, which KVM puts in the VMSA's RDX
/// (SEV.md 4.4, pitfall 6). The names and family/model/stepping are those sev-snp-measure's
/// vcpu_types accepts (QEMU builtin_x86_defs).
/// </summary>
public static class VcpuTypes
{
    private static readonly Dictionary<string, (int Family, int Model, int Stepping)> Models =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["EPYC"] = (23, 1, 2),
            ["EPYC-v1"] = (23, 1, 2),
            ["EPYC-v2"] = (23, 1, 2),
            ["EPYC-IBPB"] = (23, 1, 2),
            ["EPYC-v3"] = (23, 1, 2),
            ["EPYC-v4"] = (23, 1, 2),
            ["EPYC-Rome"] = (23, 49, 0),
            ["EPYC-Rome-v1"] = (23, 49, 0),
            ["EPYC-Rome-v2"] = (23, 49, 0),
            ["EPYC-Rome-v3"] = (23, 49, 0),
            ["EPYC-Milan"] = (25, 1, 1),
            ["EPYC-Milan-v1"] = (25, 1, 1),
            ["EPYC-Milan-v2"] = (25, 1, 1),
            ["EPYC-Genoa"] = (25, 17, 0),
            ["EPYC-Genoa-v1"] = (25, 17, 0),
            ["EPYC-Turin"] = (26, 0, 0),
        };

    /// <summary>The model names accepted, in a stable order for help and error messages.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Models.Keys];

    /// <summary>The signature of a named model (case-insensitive), or false when unknown.</summary>
    public static bool TryGetSignature(string name, out uint signature)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (Models.TryGetValue(name, out var m))
        {
            signature = Signature(m.Family, m.Model, m.Stepping);
            return true;
        }

        signature = 0;
        return false;
    }

    /// <summary>
    /// CPUID Fn0000_0001 EAX from family/model/stepping (AMD CPUID spec #25481):
    /// (extFamily&lt;&lt;20)|(extModel&lt;&lt;16)|(baseFamily&lt;&lt;8)|(baseModel&lt;&lt;4)|stepping, where
    /// baseFamily = min(family, 0xF) and extFamily = family - 0xF.
    /// </summary>
    public static uint Signature(int family, int model, int stepping)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(family);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(family, 0xF + 0xFF);
        ArgumentOutOfRangeException.ThrowIfNegative(model);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(model, 0xFF);
        ArgumentOutOfRangeException.ThrowIfNegative(stepping);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(stepping, 0xF);
        var familyLow = (uint)Math.Min(family, 0xF);
        var familyHigh = (uint)(family - (int)familyLow);
        var modelLow = (uint)model & 0xF;
        var modelHigh = ((uint)model >> 4) & 0xF;
        return (familyHigh << 20) | (modelHigh << 16) | (familyLow << 8) | (modelLow << 4) | (uint)stepping;
    }
}
