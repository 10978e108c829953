using Sev;
using Tomlyn.Syntax;

namespace SevShim.Config;

/// <summary>
/// Every key the configuration file may hold (the commented sample is config/config.toml at the
/// repository root). Paths must be absolute because the shim runs with the bundle as its cwd.
/// </summary>
internal static class ConfigSchema
{
    public const string ConfidentialModes = "\"none\", \"sev\", \"sev-es\" or \"sev-snp\"";
    public const string RootfsModes = "\"shared\" or \"block\"";
    public const string AttestationModes = "\"none\", \"pre\" or \"report\"";
    public const string AgentTransports = "\"auto\" or \"virtio-serial\" (AF_VSOCK is planned, not built: ARCHITECTURE.md decision 3)";
    public const string StdioPaths = "\"link\" or \"grpc\"";
    public const string AgentLogLevels = "\"debug\", \"info\", \"warning\" or \"error\"";
    public const string LogLevels = "\"trace\", \"debug\", \"info\", \"warn\" or \"error\"";

    /// <summary>The keys, in the order the effective configuration prints them.</summary>
    public static IReadOnlyList<ConfigKey> Keys { get; } =
    [
        new("vm", "qemu", "an absolute path string", (c, v) => AbsolutePath(v) is { } p ? c with { QemuPath = p } : null),
        new("vm", "kernel", "an absolute path string", (c, v) => AbsolutePath(v) is { } p ? c with { KernelPath = p } : null),
        new("vm", "initrd", "an absolute path string", (c, v) => AbsolutePath(v) is { } p ? c with { InitrdPath = p } : null),
        new("vm", "firmware", "an absolute path string", (c, v) => AbsolutePath(v) is { } p ? c with { FirmwarePath = p } : null),
        new("vm", "vcpus", "an integer from 1 to 255", (c, v) => Integer(v, 1, 255) is { } n ? c with { Vcpus = (int)n } : null),
        new("vm", "memory_mib", "an integer from 128 to 1048576", (c, v) => Integer(v, 128, 1048576) is { } n ? c with { MemoryMib = (int)n } : null),
        new("confidential", "mode", ConfidentialModes, (c, v) => SevModeNames.Find(Text(v)) is { } m ? c with { Confidential = m } : null),
        new("confidential", "policy", "a non-negative integer (e.g. 0x3)", (c, v) => Integer(v, 0, long.MaxValue) is { } n ? c with { SevPolicyOverride = (ulong)n } : null),
        new("confidential", "swiotlb_slabs", "an integer from 1024 to 4194304 (2 KiB slabs)", (c, v) => Integer(v, 1024, 4194304) is { } n ? c with { SwiotlbSlabsOverride = (int)n } : null),
        new("confidential", "attestation", AttestationModes, (c, v) => Attestation(v) is { } a ? c with { Attestation = a } : null),
        new("confidential", "session_file", "an absolute path string", (c, v) => AbsolutePath(v) is { } p ? c with { SessionFile = p } : null),
        new("confidential", "dh_cert_file", "an absolute path string", (c, v) => AbsolutePath(v) is { } p ? c with { DhCertFile = p } : null),
        new("confidential", "tik_file", "an absolute path string", (c, v) => AbsolutePath(v) is { } p ? c with { TikFile = p } : null),
        new("confidential", "tek_file", "an absolute path string", (c, v) => AbsolutePath(v) is { } p ? c with { TekFile = p } : null),
        new("confidential", "secret_file", "an absolute path string", (c, v) => AbsolutePath(v) is { } p ? c with { SecretFile = p } : null),
        new("confidential", "secret_guid", "a GUID string (e.g. \"e6f5a162-d67f-4750-a67c-5d065f2a9910\")", (c, v) => GuidValue(v) is { } g ? c with { SecretGuid = g } : null),
        new("confidential", "launch_digests", "an array of hex strings of 64 digits (sev, sev-es) or 96 (sev-snp): launch digests as the measure verb prints them", (c, v) => Digests(v) is { } d ? c with { LaunchDigests = d } : null),
        new("confidential", "amd_chain_file", "an absolute path string (AMD's ASK and ARK, PEM)", (c, v) => AbsolutePath(v) is { } p ? c with { AmdChainFile = p } : null),
        new("confidential", "vcek_dir", "an absolute path string (a folder of VCEK certificates)", (c, v) => AbsolutePath(v) is { } p ? c with { VcekDir = p } : null),
        new("rootfs", "mode", RootfsModes, (c, v) => Rootfs(v) is { } m ? c with { Rootfs = m } : null),
        new("agent", "transport", AgentTransports, (c, v) => Transport(v) is { } t ? c with { AgentTransport = t } : null),
        new("agent", "stdio", StdioPaths, (c, v) => Text(v) switch { "link" => c with { Stdio = StdioPath.Link }, "grpc" => c with { Stdio = StdioPath.Grpc }, _ => null }),
        new("agent", "log_level", AgentLogLevels, (c, v) => Text(v) is "debug" or "info" or "warning" or "error" ? c with { AgentLogLevel = Text(v)! } : null),
        new("timeouts", "boot_seconds", "an integer from 1 to 3600", (c, v) => Integer(v, 1, 3600) is { } n ? c with { BootTimeout = TimeSpan.FromSeconds(n) } : null),
        new("timeouts", "agent_connect_seconds", "an integer from 1 to 3600", (c, v) => Integer(v, 1, 3600) is { } n ? c with { AgentConnectTimeout = TimeSpan.FromSeconds(n) } : null),
        new("timeouts", "shutdown_seconds", "an integer from 1 to 3600", (c, v) => Integer(v, 1, 3600) is { } n ? c with { ShutdownTimeout = TimeSpan.FromSeconds(n) } : null),
        new("log", "level", LogLevels, (c, v) => Level(v) is { } l ? c with { LogLevel = l } : null),
    ];

    /// <summary>The section names, in print order.</summary>
    public static IReadOnlyList<string> Sections { get; } = Keys.Select(k => k.Section).Distinct().ToArray();

    public static ConfigKey? Find(string fullName) => Keys.FirstOrDefault(k => k.FullName == fullName);

    public static string Format(SevMode mode) => mode.Name();

    public static string Format(AttestationMode mode) => mode switch
    {
        AttestationMode.Pre => "pre",
        AttestationMode.Report => "report",
        _ => "none",
    };

    public static string Format(RootfsMode mode) => mode == RootfsMode.Shared ? "shared" : "block";

    public static string Format(AgentTransport transport) => transport switch
    {
        Config.AgentTransport.Auto => "auto",
        _ => "virtio-serial",
    };

    public static string Format(StdioPath path) => path == StdioPath.Link ? "link" : "grpc";

    public static string Format(ShimLogLevel level) => level.ToString().ToLowerInvariant();

    private static string? AbsolutePath(ValueSyntax v) =>
        v is StringValueSyntax { Value: { Length: > 0 } s } && s.StartsWith('/') ? s : null;

    private static long? Integer(ValueSyntax v, long min, long max) =>
        v is IntegerValueSyntax i && i.Value >= min && i.Value <= max ? i.Value : null;

    private static string? Text(ValueSyntax v) => (v as StringValueSyntax)?.Value;


    private static AttestationMode? Attestation(ValueSyntax v) => Text(v) switch
    {
        "none" => AttestationMode.None,
        "pre" => AttestationMode.Pre,
        "report" => AttestationMode.Report,
        _ => null,
    };

    private static Guid? GuidValue(ValueSyntax v) =>
        Text(v) is { } s && Guid.TryParseExact(s, "D", out var g) ? g : null;

    // Each digest is a SHA-256 (GCTX.LD of SEV/SEV-ES), 64 hex digits, or a SHA-384 (SNP's
    // MEASUREMENT), 96; stored lower-case. Which length the mode needs is AttestationConfigCheck's.
    private static string[]? Digests(ValueSyntax v)
    {
        if (v is not ArraySyntax array)
        {
            return null;
        }

        var digests = new List<string>();
        foreach (var item in array.Items)
        {
            if (Text(item.Value!) is not { Length: 64 or 96 } hex || !hex.All(char.IsAsciiHexDigit))
            {
                return null;
            }

            digests.Add(hex.ToLowerInvariant());
        }

        return digests.Count > 0 ? [.. digests] : null;
    }

    private static RootfsMode? Rootfs(ValueSyntax v) => Text(v) switch
    {
        "shared" => RootfsMode.Shared,
        "block" => RootfsMode.Block,
        _ => null,
    };

    private static AgentTransport? Transport(ValueSyntax v) => Text(v) switch
    {
        "auto" => Config.AgentTransport.Auto,
        "virtio-serial" => Config.AgentTransport.VirtioSerial,
        _ => null,
    };

    private static ShimLogLevel? Level(ValueSyntax v) => Text(v) switch
    {
        "trace" => ShimLogLevel.Trace,
        "debug" => ShimLogLevel.Debug,
        "info" => ShimLogLevel.Info,
        "warn" => ShimLogLevel.Warn,
        "error" => ShimLogLevel.Error,
        _ => null,
    };
}
