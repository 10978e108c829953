using System.Text;
using Qemu;
using Sev.Check;

namespace Sev.Tests.Check;

/// <summary>
/// A scripted host for <see cref="HostCheck"/>. <see cref="SevReadyEpyc"/> builds an AMD EPYC
/// (Milan-like CPUID) host where every item passes; tests then break one thing at a time.
/// </summary>
internal sealed class FakeHostProbe : IHostProbe
{
    public bool IsX86 { get; set; } = true;

    public Dictionary<(uint Leaf, uint Subleaf), CpuIdResult> CpuIds { get; } = [];

    public Dictionary<string, string> Files { get; } = new(StringComparer.Ordinal);

    public HashSet<string> Directories { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, DeviceNodeInfo> Devices { get; } = new(StringComparer.Ordinal);

    public KvmProbeResult Kvm { get; set; } = new(true, 12, true, 0, null);

    public QemuProbeResult Qemu { get; set; } = new(
        "/usr/bin/qemu-system-x86_64", QemuVersion.Parse("QEMU emulator version 9.1.0"), null, "kvm",
        new SevCapabilities(51, 1, true, true), null, RecordedQemu.Qemu10.Objects);

    /// <summary>Other binaries by path (the system's, the backports one); a path not here is "not found".</summary>
    public Dictionary<string, QemuProbeResult> OtherQemus { get; } = new(StringComparer.Ordinal);

    /// <summary>Every binary asked for, in order.</summary>
    public List<string> QemusAsked { get; } = [];

    public Dictionary<string, FirmwareInfo> Firmware { get; } = new(StringComparer.Ordinal);

    /// <summary>The accelerator choice HostCheck made for the QEMU probe (null until asked).</summary>
    public bool? QemuAskedWithKvm { get; private set; }

    public static FakeHostProbe SevReadyEpyc()
    {
        var p = new FakeHostProbe();
        p.SetVendor("AuthenticAMD");
        p.CpuIds[(1, 0)] = new CpuIdResult(0x00A00F11, 0, 0x7ED8320B, 0x178BFBFF); // bit 31 of ECX clear: bare metal
        p.CpuIds[(0x80000000, 0)] = new CpuIdResult(0x80000023, 0, 0, 0);
        p.SetBrand("AMD EPYC 7763 64-Core Processor");
        // EAX: SME, SEV, page flush, SEV-ES, SNP, VMPL; EBX: C-bit 51, reduction 1, 4 VMPLs;
        // ECX: 509 guests; EDX: minimum SEV ASID 100 (ASIDs 1-99 for SEV-ES/SNP).
        p.CpuIds[(0x8000001F, 0)] = new CpuIdResult(0x3F, 51 | (1 << 6) | (4 << 12), 509, 100);
        p.Files[HostPaths.ProcCpuinfo] = "processor\t: 0\nflags\t\t: fpu vme de pse svm sme sev sev_es sev_snp\n";
        p.Files[HostPaths.ProcCmdline] = "BOOT_IMAGE=/vmlinuz-6.11.0 root=/dev/sda1 mem_encrypt=on kvm_amd.sev=1\n";
        p.Files[HostPaths.KernelRelease] = "6.11.0-1-amd64\n";
        p.Files[HostPaths.OsRelease] = "PRETTY_NAME=\"Debian GNU/Linux 13 (trixie)\"\nID=debian\n";
        p.Directories.Add("/sys/module/kvm");
        p.Directories.Add("/sys/module/kvm_amd");
        p.Files[HostPaths.KvmAmdParameter("sev")] = "Y\n";
        p.Files[HostPaths.KvmAmdParameter("sev_es")] = "Y\n";
        p.Files[HostPaths.KvmAmdParameter("sev_snp")] = "Y\n";
        p.Devices[HostPaths.DevSev] = new DeviceNodeInfo(true, "root", "kvm",
            UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite, true);
        p.Firmware[HostPaths.FirmwareCandidates[0]] = new FirmwareInfo(HostPaths.FirmwareCandidates[0], 4194304, true, true, true, true, null);
        return p;
    }

    public void SetVendor(string vendor)
    {
        var b = Encoding.ASCII.GetBytes(vendor);
        CpuIds[(0, 0)] = new CpuIdResult(0x10, BitConverter.ToUInt32(b, 0), BitConverter.ToUInt32(b, 8), BitConverter.ToUInt32(b, 4));
    }

    public void SetBrand(string brand)
    {
        var b = new byte[48];
        Encoding.ASCII.GetBytes(brand).CopyTo(b, 0);
        for (uint i = 0; i < 3; i++)
        {
            var o = (int)i * 16;
            CpuIds[(0x80000002 + i, 0)] = new CpuIdResult(
                BitConverter.ToUInt32(b, o), BitConverter.ToUInt32(b, o + 4), BitConverter.ToUInt32(b, o + 8), BitConverter.ToUInt32(b, o + 12));
        }
    }

    public CpuIdResult? CpuId(uint leaf, uint subleaf) =>
        !IsX86 ? null : CpuIds.TryGetValue((leaf, subleaf), out var r) ? r : new CpuIdResult(0, 0, 0, 0);

    public string? ReadText(string path) => Files.TryGetValue(path, out var text) ? text : null;

    public bool DirectoryExists(string path) => Directories.Contains(path);

    public DeviceNodeInfo? StatDevice(string path) => Devices.GetValueOrDefault(path);

    public KvmProbeResult ProbeKvm(string path) => Kvm;

    public Task<QemuProbeResult> ProbeQemuAsync(string binary, bool useKvm, CancellationToken cancellationToken)
    {
        QemusAsked.Add(binary);
        if (OtherQemus.TryGetValue(binary, out var other))
        {
            return Task.FromResult(other);
        }

        // The first call is the configured vm.qemu: it gets Qemu, as before.
        if (QemusAsked.Count > 1)
        {
            return Task.FromResult(new QemuProbeResult(null, null, $"{binary} not found", null, null, null));
        }

        QemuAskedWithKvm = useKvm;
        return Task.FromResult(Qemu with { Accelerator = useKvm ? "kvm" : "tcg" });
    }

    public FirmwareInfo? InspectFirmware(string path) => Firmware.GetValueOrDefault(path);
}
