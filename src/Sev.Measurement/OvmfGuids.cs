namespace Sev.Measurement;

/// <summary>
/// GUIDs of the OVMF GUIDed footer table entries and of the SEV hashes table (SEV.md 4.2, 4.3;
/// QEMU docs/specs/sev-guest-firmware.rst). On disk they are in the little-endian EFI layout,
/// which is what <see cref="Guid.ToByteArray()"/> and <c>new Guid(ReadOnlySpan&lt;byte&gt;)</c> use.
/// </summary>
public static class OvmfGuids
{
    /// <summary>The footer GUID that closes the table, 48 bytes before the end of the image.</summary>
    public static readonly Guid FooterTable = new("96b582de-1fb2-45f7-baea-a366c55a082d");

    /// <summary>SEV-ES reset block: u32 AP reset address (CS base = addr &amp; 0xFFFF0000, IP = addr &amp; 0xFFFF).</summary>
    public static readonly Guid SevEsResetBlock = new("00f771de-1a7e-4fcb-890e-68c77e2fb44e");

    /// <summary>SEV secret area: u32 base, u32 size (default target of sev-inject-launch-secret).</summary>
    public static readonly Guid SevSecretBlock = new("4c2eb361-7d9b-4cc3-8081-127c90d3d294");

    /// <summary>SEV hashes table area: u32 base, u32 size; 0/0 means measured direct boot is unsupported.</summary>
    public static readonly Guid SevHashTableBlock = new("7255371f-3a3b-4b04-927b-1da6efa8d454");

    /// <summary>SNP metadata: u32 offset of the "ASEV" header counted back from the end of the image.</summary>
    public static readonly Guid SnpMetadata = new("dc886566-984a-4798-a75e-5585a7bf67cc");

    /// <summary>TDX metadata offset; carried by AmdSev builds too, ignored for AMD.</summary>
    public static readonly Guid TdxMetadata = new("e47a6535-984a-4798-865e-4685a7bf8ec2");

    /// <summary>Header GUID of the SEV hashes table QEMU writes for kernel-hashes=on.</summary>
    public static readonly Guid HashTableHeader = new("9438d606-4f22-4cc9-b479-a793d411fd21");

    /// <summary>Hashes table entry for the kernel command line (hashed with its trailing NUL).</summary>
    public static readonly Guid HashTableCmdline = new("97d02dd8-bd20-4c94-aa78-e7714d36ab2a");

    /// <summary>Hashes table entry for the initrd (SHA-256 of the empty input when there is none).</summary>
    public static readonly Guid HashTableInitrd = new("44baf731-3a2f-4bd7-9af1-41e29169781d");

    /// <summary>Hashes table entry for the kernel (SHA-256 of the unmodified bzImage file).</summary>
    public static readonly Guid HashTableKernel = new("4de79437-abd2-427f-b835-d5b172d2045b");

    /// <summary>Header GUID of the OVMF/efi_secret launch secret table (SEV.md 5.5).</summary>
    public static readonly Guid SecretTableHeader = new("1e74f542-71dd-4d66-963e-ef4287ff173b");
}
