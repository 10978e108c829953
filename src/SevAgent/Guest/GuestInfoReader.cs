using System.Globalization;
using Microsoft.Win32.SafeHandles;
using SevAgent.Stats;
using SevRuntime.Posix;

namespace SevAgent.Guest;

/// <summary>
/// Describes the guest. SEV is reported from two sources, and the shim decides (it requires every
/// source present to show the requested mode, and at least one source):
/// <list type="bullet">
/// <item>the SEV_STATUS MSR (0xc0010131; bit 0 SEV, bit 1 SEV-ES, bit 2 SNP, AMD APM vol. 2
/// "SEV_STATUS MSR"; SEV.md 6), read through the msr driver (/dev/cpu/0/msr, module "msr", which
/// the guest image loads at boot). Never CPUID alone: under TCG CPUID claims SEV (ARCHITECTURE.md
/// "Facts measured");</item>
/// <item>the kernel's own boot line, which it prints from the SEV_STATUS value it read at early
/// boot (arch/x86/mm/mem_encrypt.c print_mem_encrypt_feature_info: "Memory Encryption Features
/// active: AMD SEV SEV-ES SEV-SNP"; before about 5.10 "AMD Secure Encrypted Virtualization (SEV)
/// active"), found in /dev/kmsg.</item>
/// </list>
/// When the MSR cannot be read the state is UNKNOWN with the reason; the shim treats that as not
/// active unless the kernel line proves otherwise.
/// </summary>
internal static class GuestInfoReader
{
    public const uint SevStatusMsr = 0xc0010131;

    // What the kernel's line starts with (after an optional "AMD "), newest form first.
    private static readonly string[] EncryptionMarkers =
        ["Memory Encryption Features active", "Secure Encrypted Virtualization (SEV) active"];

    // The characters of a /dev/kmsg record prefix "PRIO,SEQ,USEC,FLAGS" (Documentation/ABI/testing/dev-kmsg).
    private static readonly System.Buffers.SearchValues<char> RecordPrefixChars = System.Buffers.SearchValues.Create("0123456789,-+c");

    public static GuestFacts Read(string agentVersion, CgroupLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var meminfo = ParseMeminfo(ReadOrEmpty("/proc/meminfo"));
        var controllers = layout.IsV2
            ? ReadOrEmpty(Path.Combine(layout.Root, "cgroup.controllers")).Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : Directory.EnumerateDirectories(layout.Root).Select(Path.GetFileName).OfType<string>().ToArray();
        return new GuestFacts(
            KernelRelease: ReadOrEmpty("/proc/sys/kernel/osrelease").Trim(),
            KernelVersion: ReadOrEmpty("/proc/sys/kernel/version").Trim(),
            MemoryTotalBytes: meminfo.GetValueOrDefault("MemTotal"),
            MemoryAvailableBytes: meminfo.GetValueOrDefault("MemAvailable"),
            Cpus: (uint)Environment.ProcessorCount,
            AgentVersion: agentVersion,
            Sev: ReadSev("/dev/cpu/0/msr", "/dev/kmsg"),
            KernelCommandLine: ReadOrEmpty("/proc/cmdline").Trim(),
            AgentPid: Environment.ProcessId,
            CgroupV2: layout.IsV2,
            CgroupControllers: controllers);
    }

    /// <summary>Reads SEV_STATUS through <paramref name="msrDevice"/> and the kernel line from <paramref name="kmsg"/>.</summary>
    public static SevReading ReadSev(string msrDevice, string kmsg)
    {
        var status = SevReading.Unread with { KernelMessage = FindMemoryEncryptionLine(kmsg) };
        if (!File.Exists(msrDevice))
        {
            return status with { Reason = $"{msrDevice} is absent: the guest kernel needs the msr module (modprobe msr) to read SEV_STATUS" };
        }

        try
        {
            using var handle = File.OpenHandle(msrDevice, FileMode.Open, FileAccess.Read);
            Span<byte> value = stackalloc byte[8];
            var n = RandomAccess.Read(handle, value, SevStatusMsr);
            if (n != 8)
            {
                throw new IOException($"short read ({n} of 8 bytes)");
            }

            return Decode(BitConverter.ToUInt64(value), status);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return status with
            {
                Reason = $"reading MSR 0x{SevStatusMsr:x} from {msrDevice} failed: {e.Message} " +
                    "(EIO: the virtual CPU does not implement SEV_STATUS, as on a non-SEV KVM guest)",
            };
        }
    }

    /// <summary>Fills the SEV bits from a SEV_STATUS value.</summary>
    public static SevReading Decode(ulong msr, SevReading? into = null) =>
        (into ?? SevReading.Unread) with { Known = true, MsrValue = msr, Sev = (msr & 1) != 0, SevEs = (msr & 2) != 0, Snp = (msr & 4) != 0 };

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
        using var lease = FdLease.Of(handle);
        var fd = lease.Value;
        var flags = Posix.fcntl(fd, Posix.F_GETFL, 0);
        Posix.fcntl(fd, Posix.F_SETFL, flags | Posix.O_NONBLOCK);
        var buffer = stackalloc byte[8192];
        while (true)
        {
            var n = Posix.read(fd, buffer, 8192);
            if (n < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() == 32 /* EPIPE: overwritten, go on */)
            {
                continue;
            }

            if (n <= 0)
            {
                return string.Empty;
            }

            var line = MatchEncryptionRecord(System.Text.Encoding.UTF8.GetString(buffer, (int)n));
            if (line.Length > 0)
            {
                return line;
            }
        }
    }

    /// <summary>
    /// The kernel's memory-encryption line in <paramref name="text"/> (one /dev/kmsg record
    /// "PRIO,SEQ,USEC,FLAGS;MESSAGE\n" or any log text), or empty when there is none. Matches the
    /// current form ("Memory Encryption Features active: ..."), the 5.10 form ("AMD Memory
    /// Encryption Features active: ...") and the older "AMD Secure Encrypted Virtualization (SEV)
    /// active" (SEV.md 6). The line is returned from its first word, without the record prefix.
    /// </summary>
    public static string MatchEncryptionRecord(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        foreach (var raw in text.Split('\n'))
        {
            var semicolon = raw.IndexOf(';', StringComparison.Ordinal);
            var message = (semicolon >= 0 && raw.AsSpan(0, semicolon).IndexOfAnyExcept(RecordPrefixChars) < 0 ? raw[(semicolon + 1)..] : raw).Trim();
            foreach (var marker in EncryptionMarkers)
            {
                var at = message.IndexOf(marker, StringComparison.Ordinal);
                if (at >= 0)
                {
                    // Keep an "AMD " right before the marker (the 5.10 form starts with it).
                    var start = at >= 4 && message.AsSpan(at - 4, 4).SequenceEqual("AMD ") ? at - 4 : at;
                    return message[start..];
                }
            }
        }

        return string.Empty;
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
