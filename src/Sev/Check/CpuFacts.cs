using System.Text;

namespace Sev.Check;

/// <summary>CPUID and /proc/cpuinfo facts relevant to SEV (SEV.md 1.1).</summary>
internal sealed record CpuFacts(
    string? Vendor,
    string? Brand,
    bool Hypervisor,
    uint MaxExtendedLeaf,
    CpuIdResult? Leaf,
    IReadOnlySet<string>? Flags)
{
    public const uint SevLeaf = 0x8000001F;

    // The /proc/cpuinfo names of the memory-encryption features (arch/x86 cpufeatures).
    private static readonly string[] MemoryEncryptionFlags = ["sme", "sev", "sev_es", "sev_snp"];

    public bool IsAmd => Vendor == "AuthenticAMD";

    public bool Sme => Bit(0);

    public bool Sev => Bit(1);

    public bool SevEs => Bit(3);

    public bool Snp => Bit(4);

    // EBX/ECX/EDX describe SEV only when the SEV bit is set; otherwise they are reported as unknown.
    public int? CBitPosition => Leaf is { } l && Sev ? (int)(l.Ebx & 0x3f) : null;

    public int? ReducedPhysBits => Leaf is { } l && Sev ? (int)((l.Ebx >> 6) & 0x3f) : null;

    public uint? EncryptedGuests => Sev ? Leaf?.Ecx : null;

    public uint? MinSevAsid => Sev ? Leaf?.Edx : null;

    public static CpuFacts Read(IHostProbe probe)
    {
        if (probe.CpuId(0, 0) is not { } leaf0)
        {
            return new CpuFacts(null, null, false, 0, null, ParseFlags(probe.ReadText(HostPaths.ProcCpuinfo)));
        }

        var vendor = Ascii(leaf0.Ebx, leaf0.Edx, leaf0.Ecx);
        var hypervisor = probe.CpuId(1, 0) is { } leaf1 && (leaf1.Ecx & (1u << 31)) != 0;
        var maxExt = probe.CpuId(0x80000000, 0)?.Eax ?? 0;
        string? brand = null;
        if (maxExt >= 0x80000004)
        {
            var sb = new StringBuilder();
            for (uint l = 0x80000002; l <= 0x80000004; l++)
            {
                var r = probe.CpuId(l, 0)!.Value;
                sb.Append(Ascii(r.Eax, r.Ebx, r.Ecx, r.Edx));
            }

            brand = sb.ToString().TrimEnd('\0').Trim();
        }

        var sevLeaf = maxExt >= SevLeaf ? probe.CpuId(SevLeaf, 0) : null;
        return new CpuFacts(vendor, brand, hypervisor, maxExt, sevLeaf, ParseFlags(probe.ReadText(HostPaths.ProcCpuinfo)));
    }

    /// <summary>One-line description of leaf 0x8000001F for evidence texts.</summary>
    public string Describe()
    {
        if (Leaf is not { } l)
        {
            return $"CPUID leaf 0x8000001F not available (highest extended leaf 0x{MaxExtendedLeaf:x8})";
        }

        return $"CPUID 0x8000001F EAX=0x{l.Eax:x8} EBX=0x{l.Ebx:x8} ECX={l.Ecx} EDX={l.Edx}: "
            + $"SME={B(Sme)} SEV={B(Sev)} SEV-ES={B(SevEs)} SNP={B(Snp)}, C-bit {l.Ebx & 0x3f}, "
            + $"phys-addr reduction {(l.Ebx >> 6) & 0x3f}, {l.Ecx} encrypted guests, min SEV ASID {l.Edx}";
    }

    /// <summary>Which memory-encryption flags /proc/cpuinfo lists.</summary>
    public string DescribeFlags()
    {
        if (Flags is null)
        {
            return "/proc/cpuinfo unreadable";
        }

        var present = MemoryEncryptionFlags.Where(Flags.Contains).ToArray();
        return present.Length == 0
            ? "/proc/cpuinfo flags: none of sme/sev/sev_es/sev_snp"
            : "/proc/cpuinfo flags: " + string.Join(' ', present);
    }

    private static string B(bool b) => b ? "1" : "0";

    private bool Bit(int n) => Leaf is { } l && (l.Eax & (1u << n)) != 0;

    private static string Ascii(params uint[] regs)
    {
        var bytes = new byte[regs.Length * 4];
        for (var i = 0; i < regs.Length; i++)
        {
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), regs[i]);
        }

        return Encoding.ASCII.GetString(bytes);
    }

    private static HashSet<string>? ParseFlags(string? cpuinfo)
    {
        if (cpuinfo is null)
        {
            return null;
        }

        var line = cpuinfo.Split('\n').FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
        if (line is null || line.IndexOf(':', StringComparison.Ordinal) is var colon && colon < 0)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        return new HashSet<string>(line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries), StringComparer.Ordinal);
    }
}
