namespace Sev.Measurement;

/// <summary>One <c>{u32 gpa, u32 size, u32 type}</c> item of the OVMF SNP metadata, in table order.</summary>
/// <param name="Gpa">Guest-physical start of the section.</param>
/// <param name="Size">Size in bytes.</param>
/// <param name="Type">Section type (possibly a value this code does not know).</param>
public readonly record struct SnpMetadataSection(uint Gpa, uint Size, SnpSectionType Type);
