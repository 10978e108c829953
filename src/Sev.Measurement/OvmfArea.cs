namespace Sev.Measurement;

/// <summary>A guest-physical area an OVMF footer entry declares as u32 base, u32 size.</summary>
/// <param name="Base">Guest-physical address of the area.</param>
/// <param name="Size">Size of the area in bytes.</param>
public readonly record struct OvmfArea(uint Base, uint Size);
