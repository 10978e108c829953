namespace Sev.Check;

/// <summary>Items from CPUID 0x8000001F, cross-checked with the kernel's /proc/cpuinfo flags.</summary>
internal static class CpuChecks
{
    private const string NeedEpyc =
        "AMD SEV exists only on AMD EPYC processors: run SEV pods on a bare-metal AMD EPYC host";

    public static IEnumerable<CheckItem> Items(CpuFacts cpu)
    {
        yield return Vendor(cpu);
        yield return Feature(cpu, "cpu.sev", "SEV", cpu.Sev, "sev", [SevMode.Sev, SevMode.SevEs, SevMode.SevSnp]);
        yield return SevEs(cpu);
        yield return Feature(cpu, "cpu.sev-snp", "SEV-SNP", cpu.Snp, "sev_snp", [SevMode.SevSnp]);
    }

    private static CheckItem Vendor(CpuFacts cpu)
    {
        SevMode[] all = [SevMode.Sev, SevMode.SevEs, SevMode.SevSnp];
        if (cpu.Vendor is null)
        {
            return new CheckItem("cpu.vendor", CheckStatus.Missing, "no CPUID: not an x86-64 CPU", NeedEpyc, all);
        }

        var evidence = $"vendor {cpu.Vendor}, brand '{cpu.Brand}'" + (cpu.Hypervisor ? ", CPUID hypervisor bit set (this host is a virtual machine)" : string.Empty);
        return cpu.IsAmd
            ? new CheckItem("cpu.vendor", CheckStatus.Ok, evidence, null, all)
            : new CheckItem("cpu.vendor", CheckStatus.Missing, evidence, NeedEpyc, all);
    }

    private static CheckItem Feature(CpuFacts cpu, string name, string display, bool cpuidBit, string flag, SevMode[] gates)
    {
        // The full leaf is quoted once (cpu.sev); the other items name just their bit and flag.
        var evidence = name == "cpu.sev"
            ? cpu.Describe() + "; " + cpu.DescribeFlags()
            : $"CPUID 0x8000001F {display} bit {(cpuidBit ? 1 : 0)}; /proc/cpuinfo flag {flag} {(cpu.Flags is null ? "unknown" : cpu.Flags.Contains(flag) ? "present" : "absent")}";
        if (cpu.Hypervisor && name == "cpu.sev")
        {
            // ARCHITECTURE "Facts measured": a VM's CPUID describes its virtual CPU model (TCG's EPYC
            // model sets the SEV bits), so in a VM it proves nothing about SEV.
            evidence += "; CPUID hypervisor bit set: CPUID describes a virtual CPU, not the host";
        }

        if (!cpu.IsAmd || !cpuidBit)
        {
            return new CheckItem(name, CheckStatus.Missing, evidence,
                cpu.IsAmd ? $"this CPU has no {display}: run {display} pods on an AMD EPYC host that supports it" : NeedEpyc,
                gates);
        }

        if (cpu.Flags is not null && !cpu.Flags.Contains(flag))
        {
            var fix = cpu.Hypervisor
                ? $"this host is itself a virtual machine: its kernel does not see {display}; run {display} pods on a bare-metal AMD EPYC host"
                : $"the CPU supports {display} but Linux hid the '{flag}' flag, which it does when firmware leaves memory encryption off: enable SME/SEV (SMEE, SYSCFG MSR 0xC0010010 bit 23) and {display} in the firmware setup";
            return new CheckItem(name, CheckStatus.Missing, evidence, fix, gates);
        }

        return new CheckItem(name, CheckStatus.Ok, evidence, null, gates);
    }

    private static CheckItem SevEs(CpuFacts cpu)
    {
        var item = Feature(cpu, "cpu.sev-es", "SEV-ES", cpu.SevEs, "sev_es", [SevMode.SevEs, SevMode.SevSnp]);
        if (item.Status != CheckStatus.Ok || cpu.MinSevAsid is not { } minAsid || minAsid == 0)
        {
            return item;
        }

        // ASIDs below the minimum SEV ASID (CPUID EDX) are the only ones SEV-ES and SNP guests may use.
        var esAsids = minAsid - 1;
        var evidence = item.Evidence + $"; {esAsids} ASIDs for SEV-ES/SNP guests";
        return esAsids == 0
            ? item with
            {
                Status = CheckStatus.Missing,
                Evidence = evidence,
                Fix = "no ASIDs are reserved for SEV-ES/SNP guests (minimum SEV ASID is " + minAsid + "): raise the SEV-ES ASID space limit in the firmware setup",
            }
            : item with { Evidence = evidence };
    }
}
