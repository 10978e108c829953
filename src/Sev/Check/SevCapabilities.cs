namespace Sev.Check;

/// <summary>The answer of QMP <c>query-sev-capabilities</c> (QAPI SevCapability, SEV.md 1.4).</summary>
/// <param name="CBitPosition">"cbitpos": host CPUID 0x8000001F EBX[5:0].</param>
/// <param name="ReducedPhysBits">"reduced-phys-bits": QEMU always reports 1.</param>
/// <param name="HasPdh">A platform Diffie-Hellman certificate was returned.</param>
/// <param name="HasCpu0Id">"cpu0-id" was returned (QEMU 7.1 and later).</param>
public sealed record SevCapabilities(int CBitPosition, int ReducedPhysBits, bool HasPdh, bool HasCpu0Id);
