namespace Sev.Measurement;

/// <summary>One entry of the OVMF GUIDed footer table: its GUID and its data (without the 18-byte header).</summary>
/// <param name="Id">The entry GUID.</param>
/// <param name="Data">The entry data bytes, a slice of the firmware image.</param>
public readonly record struct OvmfFooterEntry(Guid Id, ReadOnlyMemory<byte> Data);
