using System.Globalization;
using System.Text;
using Sev.Launch;

namespace SevShim.Config;

/// <summary>
/// Prints the effective configuration as TOML (the <c>config</c> verb). The output parses back to
/// the same configuration; computed defaults (policy, swiotlb) appear as comments so that editing
/// the mode in a copy of the output does not carry a stale policy along.
/// </summary>
internal static class ConfigTomlWriter
{
    public static string Write(ShimConfig config, ConfigSource? source)
    {
        ArgumentNullException.ThrowIfNull(config);
        var b = new StringBuilder();
        var origin = source is null ? "built-in defaults"
            : config.SourcePath is null ? $"built-in defaults ({source.Path} does not exist)"
            : $"{source.Path} ({source.Origin})";
        b.Append("# Effective sevshim configuration: ").Append(origin).Append('\n');
        b.Append("\n[vm]\n");
        Line(b, "qemu", Quote(config.QemuPath));
        Line(b, "kernel", Quote(config.KernelPath));
        Line(b, "initrd", Quote(config.InitrdPath));
        Line(b, "firmware", Quote(config.FirmwarePath));
        Line(b, "vcpus", Int(config.Vcpus));
        Line(b, "memory_mib", Int(config.MemoryMib));
        b.Append("\n[confidential]\n");
        Line(b, "mode", Quote(ConfigSchema.Format(config.Confidential)));
        if (config.SevPolicyOverride is { } policy)
        {
            Line(b, "policy", SevPolicy.Hex(policy));
        }
        else if (config.EffectiveSevPolicy is { } computed)
        {
            b.Append("# policy = ").Append(SevPolicy.Hex(computed)).Append("  (default for this mode)\n");
        }

        if (config.SwiotlbSlabsOverride is { } slabs)
        {
            Line(b, "swiotlb_slabs", Int(slabs));
        }
        else
        {
            b.Append("# swiotlb_slabs = ").Append(Int(config.EffectiveSwiotlbSlabs)).Append("  (computed from memory_mib)\n");
        }

        Line(b, "attestation", Quote(ConfigSchema.Format(config.Attestation)));
        OptionalPath(b, "session_file", config.SessionFile);
        OptionalPath(b, "dh_cert_file", config.DhCertFile);
        OptionalPath(b, "tik_file", config.TikFile);
        OptionalPath(b, "tek_file", config.TekFile);
        OptionalPath(b, "secret_file", config.SecretFile);
        if (config.SecretGuid is { } guid)
        {
            Line(b, "secret_guid", Quote(guid.ToString("D")));
        }

        if (config.LaunchDigests.Count > 0)
        {
            Line(b, "launch_digests", "[" + string.Join(", ", config.LaunchDigests.Select(Quote)) + "]");
        }

        OptionalPath(b, "amd_chain_file", config.AmdChainFile);
        OptionalPath(b, "vcek_dir", config.VcekDir);

        b.Append("\n[rootfs]\n");
        Line(b, "mode", Quote(ConfigSchema.Format(config.Rootfs)));
        b.Append("\n[agent]\n");
        Line(b, "transport", Quote(ConfigSchema.Format(config.AgentTransport)));
        Line(b, "stdio", Quote(ConfigSchema.Format(config.Stdio)));
        Line(b, "log_level", Quote(config.AgentLogLevel));
        b.Append("\n[timeouts]\n");
        Line(b, "boot_seconds", Int((long)config.BootTimeout.TotalSeconds));
        Line(b, "agent_connect_seconds", Int((long)config.AgentConnectTimeout.TotalSeconds));
        Line(b, "shutdown_seconds", Int((long)config.ShutdownTimeout.TotalSeconds));
        b.Append("\n[log]\n");
        Line(b, "level", Quote(ConfigSchema.Format(config.LogLevel)));
        return b.ToString();
    }

    private static void OptionalPath(StringBuilder b, string key, string? path)
    {
        if (path is not null)
        {
            Line(b, key, Quote(path));
        }
    }

    private static void Line(StringBuilder b, string key, string value) =>
        b.Append(key).Append(" = ").Append(value).Append('\n');

    private static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);


    /// <summary>A TOML basic string (escapes per the TOML spec's basic-string rules).</summary>
    private static string Quote(string value)
    {
        var b = new StringBuilder("\"");
        foreach (var ch in value)
        {
            _ = ch switch
            {
                '"' => b.Append("\\\""),
                '\\' => b.Append("\\\\"),
                < ' ' or '\x7f' => b.Append("\\u").Append(((int)ch).ToString("x4", CultureInfo.InvariantCulture)),
                _ => b.Append(ch),
            };
        }

        return b.Append('"').ToString();
    }
}
