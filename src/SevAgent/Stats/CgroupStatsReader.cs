using System.Globalization;

namespace SevAgent.Stats;

/// <summary>
/// Reads container figures from cgroup files (kernel Documentation/admin-guide/cgroup-v2.rst:
/// flat keyed files "key value", single values where "max" means no limit, nested keyed io.stat).
/// A missing file is listed in <see cref="CgroupStats.Missing"/>, never an error.
/// </summary>
internal static class CgroupStatsReader
{
    /// <summary>Reads the figures of the cgroup at <paramref name="cgroupsPath"/>.</summary>
    public static CgroupStats Read(CgroupLayout layout, string cgroupsPath)
    {
        ArgumentNullException.ThrowIfNull(layout);
        return layout.IsV2 ? ReadV2(layout.Directory(cgroupsPath, string.Empty)) : ReadV1(layout, cgroupsPath);
    }

    /// <summary>cgroup v2 figures from one directory.</summary>
    public static CgroupStats ReadV2(string dir)
    {
        var stats = new CgroupStats(dir);
        string? Text(string file)
        {
            try
            {
                return File.ReadAllText(Path.Combine(dir, file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stats.Missing.Add(file);
                return null;
            }
        }

        if (Text("cpu.stat") is { } cpu)
        {
            var k = ParseKeyed(cpu);
            stats.Cpu.UsageUsec = k.GetValueOrDefault("usage_usec");
            stats.Cpu.UserUsec = k.GetValueOrDefault("user_usec");
            stats.Cpu.SystemUsec = k.GetValueOrDefault("system_usec");
            stats.Cpu.NrPeriods = k.GetValueOrDefault("nr_periods");
            stats.Cpu.NrThrottled = k.GetValueOrDefault("nr_throttled");
            stats.Cpu.ThrottledUsec = k.GetValueOrDefault("throttled_usec");
        }

        if (Text("memory.current") is { } current)
        {
            stats.Memory.UsageBytes = ParseLimit(current);
        }

        if (Text("memory.max") is { } max)
        {
            stats.Memory.LimitBytes = ParseLimit(max);
        }

        if (Text("memory.peak") is { } peak)
        {
            stats.Memory.MaxUsageBytes = ParseLimit(peak);
        }

        if (Text("memory.swap.current") is { } swap)
        {
            stats.Memory.SwapUsageBytes = ParseLimit(swap);
        }

        if (Text("memory.events") is { } events)
        {
            var k = ParseKeyed(events);
            stats.Memory.EventsLow = k.GetValueOrDefault("low");
            stats.Memory.EventsHigh = k.GetValueOrDefault("high");
            stats.Memory.EventsMax = k.GetValueOrDefault("max");
            stats.Memory.EventsOom = k.GetValueOrDefault("oom");
            stats.Memory.EventsOomKill = k.GetValueOrDefault("oom_kill");
        }

        if (Text("memory.stat") is { } memStat)
        {
            CopyInto(stats.Memory.Stat, ParseKeyed(memStat));
        }

        if (Text("pids.current") is { } pids)
        {
            stats.Pids.Current = ParseLimit(pids);
        }

        if (Text("pids.max") is { } pidsMax)
        {
            stats.Pids.Limit = ParseLimit(pidsMax);
        }

        if (Text("io.stat") is { } io)
        {
            stats.Io.Devices.AddRange(ParseIoStat(io));
        }

        return stats;
    }

    /// <summary>The cgroup v1 subset (memory, cpuacct, pids) for hosts that still run v1.</summary>
    public static CgroupStats ReadV1(CgroupLayout layout, string cgroupsPath)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var memory = layout.Directory(cgroupsPath, "memory");
        var stats = new CgroupStats(memory);
        string? Text(string controller, string file)
        {
            try
            {
                return File.ReadAllText(Path.Combine(layout.Directory(cgroupsPath, controller), file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                stats.Missing.Add(controller + "/" + file);
                return null;
            }
        }

        if (Text("cpuacct", "cpuacct.usage") is { } usage)
        {
            stats.Cpu.UsageUsec = ParseLimit(usage) / 1000;
        }

        if (Text("memory", "memory.usage_in_bytes") is { } current)
        {
            stats.Memory.UsageBytes = ParseLimit(current);
        }

        if (Text("memory", "memory.limit_in_bytes") is { } max)
        {
            // v1 reports "no limit" as a huge page-aligned number.
            var limit = ParseLimit(max);
            stats.Memory.LimitBytes = limit >= (1UL << 62) ? 0 : limit;
        }

        if (Text("memory", "memory.max_usage_in_bytes") is { } peak)
        {
            stats.Memory.MaxUsageBytes = ParseLimit(peak);
        }

        if (Text("memory", "memory.oom_control") is { } oom)
        {
            stats.Memory.EventsOomKill = ParseKeyed(oom).GetValueOrDefault("oom_kill");
        }

        if (Text("memory", "memory.stat") is { } memStat)
        {
            CopyInto(stats.Memory.Stat, ParseKeyed(memStat));
        }

        if (Text("pids", "pids.current") is { } pids)
        {
            stats.Pids.Current = ParseLimit(pids);
        }

        if (Text("pids", "pids.max") is { } pidsMax)
        {
            stats.Pids.Limit = ParseLimit(pidsMax);
        }

        return stats;
    }

    /// <summary>The oom_kill counter of the cgroup (v2 memory.events, v1 memory.oom_control); 0 if unreadable.</summary>
    public static ulong ReadOomKills(CgroupLayout layout, string cgroupsPath)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var file = layout.IsV2 ? "memory.events" : "memory.oom_control";
        try
        {
            return ParseKeyed(File.ReadAllText(Path.Combine(layout.Directory(cgroupsPath, "memory"), file))).GetValueOrDefault("oom_kill");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static void CopyInto(Dictionary<string, ulong> target, Dictionary<string, ulong> values)
    {
        foreach (var (key, value) in values)
        {
            target[key] = value;
        }
    }

    /// <summary>Flat keyed file: one "key value" per line; unparsable lines are skipped.</summary>
    public static Dictionary<string, ulong> ParseKeyed(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length == 2 && ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                result[parts[0]] = value;
            }
        }

        return result;
    }

    /// <summary>A single value; "max" (no limit) and unparsable text read as 0.</summary>
    public static ulong ParseLimit(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return ulong.TryParse(text.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : 0;
    }

    /// <summary>io.stat: "MAJ:MIN key=value ..." per device.</summary>
    public static List<IoDeviceUsage> ParseIoStat(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var devices = new List<IoDeviceUsage>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var numbers = parts[0].Split(':');
            if (numbers.Length != 2 ||
                !uint.TryParse(numbers[0], CultureInfo.InvariantCulture, out var major) ||
                !uint.TryParse(numbers[1], CultureInfo.InvariantCulture, out var minor))
            {
                continue;
            }

            var device = new IoDeviceUsage { Major = major, Minor = minor };
            foreach (var pair in parts.Skip(1))
            {
                var kv = pair.Split('=', 2);
                if (kv.Length != 2 || !ulong.TryParse(kv[1], CultureInfo.InvariantCulture, out var value))
                {
                    continue;
                }

                switch (kv[0])
                {
                    case "rbytes": device.Rbytes = value; break;
                    case "wbytes": device.Wbytes = value; break;
                    case "rios": device.Rios = value; break;
                    case "wios": device.Wios = value; break;
                    case "dbytes": device.Dbytes = value; break;
                    case "dios": device.Dios = value; break;
                    default: break;
                }
            }

            devices.Add(device);
        }

        return devices;
    }
}
