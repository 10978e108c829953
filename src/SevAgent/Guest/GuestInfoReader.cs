using System.Globalization;
using Microsoft.Win32.SafeHandles;
using SevAgent.Protocol.V1;
using SevAgent.Stats;

namespace SevAgent.Guest;

/// <summary>
/// Describes the guest. SEV is judged from the SEV_STATUS MSR (0xc0010131; bit 0 SEV, bit 1
/// SEV-ES, bit 2 SNP, AMD APM vol. 2 "SEV_STATUS MSR"), read through the msr driver, never from
/// CPUID alone: under TCG CPUID claims SEV (ARCHITECTURE.md "Facts measured"). The kernel's own
/// line ("Memory Encryption Features active: AMD SEV ...") is quoted from the kernel log.
/// </summary>
internal static class GuestInfoReader
{
    public const uint SevStatusMsr = 0xc0010131;

    public static GuestInfo Read(string agentVersion, CgroupLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var meminfo = ParseMeminfo(ReadOrEmpty("/proc/meminfo"));
        var info = new GuestInfo
        {
            KernelRelease = ReadOrEmpty("/proc/sys/kernel/osrelease").Trim(),
            KernelVersion = ReadOrEmpty("/proc/sys/kernel/version").Trim(),
            MemoryTotalBytes = meminfo.GetValueOrDefault("MemTotal"),
            MemoryAvailableBytes = meminfo.GetValueOrDefault("MemAvailable"),
            Cpus = (uint)Environment.ProcessorCount,
            AgentVersion = agentVersion,
            Sev = ReadSev("/dev/cpu/0/msr", "/dev/kmsg"),
            KernelCommandLine = ReadOrEmpty("/proc/cmdline").Trim(),
            AgentPid = Environment.ProcessId,
            CgroupV2 = layout.IsV2,
        };
        var controllers = layout.IsV2
            ? ReadOrEmpty(Path.Combine(layout.Root, "cgroup.controllers")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : Directory.EnumerateDirectories(layout.Root).Select(Path.GetFileName).OfType<string>().ToArray();
        info.CgroupControllers.AddRange(controllers);
        return info;
    }

    /// <summary>Reads SEV_STATUS through <paramref name="msrDevice"/> and the kernel line from <paramref name="kmsg"/>.</summary>
    public static SevStatus ReadSev(string msrDevice, string kmsg)
    {
        var status = new SevStatus { KernelMessage = FindMemoryEncryptionLine(kmsg) };
        if (!File.Exists(msrDevice))
        {
            status.State = SevStatus.Types.State.Unknown;
            status.Reason = $"{msrDevice} is absent: the guest kernel needs the msr module (modprobe msr) to read SEV_STATUS";
            return status;
        }

        try
        {
            using var handle = File.OpenHandle(msrDevice, FileMode.Open, FileAccess.Read);
            Span<byte> value = stackalloc byte[8];
            var n = RandomAccess.Read(handle, value, SevStatusMsr);
            if (n != 8)
            {
                throw new IOException($"short read ({n} bytes)");
            }

            return Decode(BitConverter.ToUInt64(value), status);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            status.State = SevStatus.Types.State.Unknown;
            status.Reason = $"reading MSR 0x{SevStatusMsr:x} from {msrDevice} failed: {e.Message} " +
                "(EIO: the CPU does not implement SEV_STATUS, e.g. not an AMD SEV-capable guest or QEMU TCG)";
            return status;
        }
    }

    /// <summary>Fills the SEV bits from a SEV_STATUS value.</summary>
    public static SevStatus Decode(ulong msr, SevStatus? into = null)
    {
        var status = into ?? new SevStatus();
        status.State = SevStatus.Types.State.Known;
        status.MsrValue = msr;
        status.Sev = (msr & 1) != 0;
        status.SevEs = (msr & 2) != 0;
        status.Snp = (msr & 4) != 0;
        return status;
    }

    /// <summary>/proc/meminfo in bytes ("MemTotal: 123 kB" lines).</summary>
    public static Dictionary<string, ulong> ParseMeminfo(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var parts = line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 1 && ulong.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                result[line[..colon]] = parts.Length > 1 && parts[1] == "kB" ? value * 1024 : value;
            }
        }

        return result;
    }

    private static string FindMemoryEncryptionLine(string kmsg)
    {
        // /dev/kmsg gives one record per read; O_NONBLOCK ends the scan with EAGAIN at the end.
        try
        {
            using var handle = File.OpenHandle(kmsg, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, FileOptions.None);
            return ScanKmsg(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }

    private static unsafe string ScanKmsg(SafeFileHandle handle)
    {
        var fd = (int)handle.DangerousGetHandle();
        var flags = Native.LibC.fcntl(fd, Native.LibC.F_GETFL, 0);
        Native.LibC.fcntl(fd, Native.LibC.F_SETFL, flags | Native.LibC.O_NONBLOCK);
        var buffer = stackalloc byte[8192];
        while (true)
        {
            var n = Native.LibC.read(fd, buffer, 8192);
            if (n < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == 32 /* EPIPE: overwritten, go on */)
            {
                continue;
            }

            if (n <= 0)
            {
                return string.Empty;
            }

            var record = System.Text.Encoding.UTF8.GetString(buffer, (int)n);
            var at = record.IndexOf("Memory Encryption Features active", StringComparison.Ordinal);
            if (at >= 0)
            {
                return record[at..].Split('\n')[0].Trim();
            }
        }
    }

    private static string ReadOrEmpty(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}
