namespace Sev.Check;

/// <summary>The four registers one CPUID leaf returns.</summary>
public readonly record struct CpuIdResult(uint Eax, uint Ebx, uint Ecx, uint Edx);
