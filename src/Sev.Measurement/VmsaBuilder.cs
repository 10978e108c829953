using System.Buffers.Binary;

namespace Sev.Measurement;

/// <summary>
/// Builds the initial 4096-byte VMSA page that KVM encrypts for each vCPU of a QEMU SEV-ES/SNP
/// guest (SEV.md 4.4; field offsets of the SEV-ES save area, AMD APM vol. 2 table B-4). Every
/// byte not listed there is zero.
/// </summary>
public static class VmsaBuilder
{
    /// <summary>Size of a VMSA page.</summary>
    public const int PageSize = 4096;

    /// <summary>The BSP starts at the architectural reset vector.</summary>
    public const uint BspEip = 0xFFFFFFF0;

    /// <summary>Builds the VMSA of one vCPU.</summary>
    /// <param name="eip">Reset address: <see cref="BspEip"/> for vCPU 0, the OVMF SEV-ES reset block address for APs.</param>
    /// <param name="vcpuSignature">CPUID(1).EAX of the guest -cpu model (<see cref="VcpuTypes"/>).</param>
    /// <param name="sevFeatures">SEV_FEATURES: 0 for SEV-ES, the guest features for SNP.</param>
    /// <param name="style">Legacy KVM_SEV_ES_INIT or KVM_SEV_INIT2 FPU state.</param>
    public static byte[] Build(uint eip, uint vcpuSignature, ulong sevFeatures, VmsaStyle style)
    {
        var page = new byte[PageSize];
        var p = page.AsSpan();
        Segment(p[0x000..], 0, 0x93, 0xFFFF, 0); // es
        Segment(p[0x010..], 0xF000, 0x9B, 0xFFFF, eip & 0xFFFF0000); // cs
        Segment(p[0x020..], 0, 0x93, 0xFFFF, 0); // ss
        Segment(p[0x030..], 0, 0x93, 0xFFFF, 0); // ds
        Segment(p[0x040..], 0, 0x93, 0xFFFF, 0); // fs
        Segment(p[0x050..], 0, 0x93, 0xFFFF, 0); // gs
        Segment(p[0x060..], 0, 0, 0xFFFF, 0); // gdtr
        Segment(p[0x070..], 0, 0x82, 0xFFFF, 0); // ldtr
        Segment(p[0x080..], 0, 0, 0xFFFF, 0); // idtr
        Segment(p[0x090..], 0, 0x8B, 0xFFFF, 0); // tr
        U64(p, 0x0D0, 0x1000); // efer: KVM sets SVME
        U64(p, 0x148, 0x40); // cr4: KVM sets MCE
        U64(p, 0x158, 0x10); // cr0
        U64(p, 0x160, 0x400); // dr7
        U64(p, 0x168, 0xFFFF0FF0); // dr6
        U64(p, 0x170, 0x2); // rflags
        U64(p, 0x178, eip & 0xFFFF); // rip
        U64(p, 0x268, 0x0007040600070406); // g_pat: power-on PAT (APM vol. 2 A.3)
        U64(p, 0x310, vcpuSignature); // rdx: CPUID signature at reset
        U64(p, 0x3B0, sevFeatures);
        U64(p, 0x3E8, 0x1); // xcr0
        if (style == VmsaStyle.Init2)
        {
            // KVM copies the reset FPU state only for KVM_SEV_INIT2 VMs (sev_es_sync_vmsa).
            BinaryPrimitives.WriteUInt32LittleEndian(p[0x408..], 0x1F80); // mxcsr
            BinaryPrimitives.WriteUInt16LittleEndian(p[0x410..], 0x37F); // x87 fcw
        }

        return page;
    }

    /// <summary>
    /// The VMSAs of <paramref name="vcpus"/> vCPUs in index order: vCPU 0 at the reset vector, the
    /// others at <paramref name="apEip"/>.
    /// </summary>
    public static IEnumerable<byte[]> BuildAll(int vcpus, uint apEip, uint vcpuSignature, ulong sevFeatures, VmsaStyle style)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vcpus, 1);
        var bsp = Build(BspEip, vcpuSignature, sevFeatures, style);
        yield return bsp;
        if (vcpus > 1)
        {
            var ap = Build(apEip, vcpuSignature, sevFeatures, style);
            for (var i = 1; i < vcpus; i++)
            {
                // A copy each, so a caller that edits one page cannot change the others.
                yield return (byte[])ap.Clone();
            }
        }
    }

    private static void Segment(Span<byte> dest, ushort selector, ushort attrib, uint limit, ulong baseAddress)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(dest, selector);
        BinaryPrimitives.WriteUInt16LittleEndian(dest[2..], attrib);
        BinaryPrimitives.WriteUInt32LittleEndian(dest[4..], limit);
        BinaryPrimitives.WriteUInt64LittleEndian(dest[8..], baseAddress);
    }

    private static void U64(Span<byte> page, int offset, ulong value) =>
        BinaryPrimitives.WriteUInt64LittleEndian(page[offset..], value);
}
