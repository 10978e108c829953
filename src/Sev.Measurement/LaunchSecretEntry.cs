namespace Sev.Measurement;

/// <summary>One secret for the OVMF secret table; the guest sees it as /sys/kernel/security/secrets/coco/&lt;Id&gt;.</summary>
/// <param name="Id">The secret's GUID.</param>
/// <param name="Data">The secret bytes.</param>
public readonly record struct LaunchSecretEntry(Guid Id, ReadOnlyMemory<byte> Data);
