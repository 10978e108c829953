namespace TestSupport;

/// <summary>
/// Real parts an end-to-end test needs. Each check answers null when the part is there,
/// else a sentence naming what is missing and how to get it.
/// </summary>
public static class Prerequisites
{
    /// <summary>True when SEVSHIM_REQUIRE_E2E=1 (CI): a missing prerequisite fails instead of skipping.</summary>
    public static bool Required => Environment.GetEnvironmentVariable("SEVSHIM_REQUIRE_E2E") == "1";

    /// <summary>The first missing prerequisite among <paramref name="names"/>, or null.</summary>
    public static string? FirstMissing(IEnumerable<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        foreach (var name in names)
        {
            var missing = Check(name);
            if (missing is not null)
            {
                return missing;
            }
        }

        return null;
    }

    /// <summary>Throws with the reason when a prerequisite is missing; call it first in an E2E test.</summary>
    public static void Ensure(params string[] names)
    {
        var missing = FirstMissing(names);
        if (missing is not null)
        {
            throw new InvalidOperationException("end-to-end prerequisite missing: " + missing);
        }
    }

    /// <summary>Checks one named prerequisite.</summary>
    public static string? Check(string name) => name switch
    {
        Requirement.Root => IsRoot() ? null : "the test must run as root (mounts, containerd, tap devices)",
        Requirement.Containerd => Tool("containerd", "apt-get install containerd"),
        Requirement.Ctr => Tool("ctr", "apt-get install containerd"),
        Requirement.Qemu => Tool("qemu-system-x86_64", "apt-get install qemu-system-x86"),
        Requirement.Qemu10 => File.Exists(QemuBackports.Binary)
            ? null
            : $"QEMU 10 (bookworm-backports) not unpacked at {QemuBackports.Binary}: run scripts/qemu-backports.sh (scripts/deps.sh does)",
        Requirement.Crun => Tool("crun", "apt-get install crun"),
        Requirement.Runc => Tool("runc", "apt-get install runc"),
        Requirement.ShimBinary => File.Exists(RepoPaths.ShimBinary)
            ? null
            : $"{RepoPaths.ShimBinary} not built: run scripts/build.sh (or set SEVSHIM_SHIM_BINARY)",
        Requirement.AgentBinary => File.Exists(RepoPaths.AgentBinary)
            ? null
            : $"{RepoPaths.AgentBinary} not built: run scripts/build.sh (or set SEVSHIM_AGENT_BINARY)",
        Requirement.GuestImage => File.Exists(Path.Combine(RepoPaths.GuestImageDir, "initrd.img"))
            ? null
            : $"guest image not built in {RepoPaths.GuestImageDir}: run guest-image/build.sh (or set SEVSHIM_GUEST_IMAGE)",
        Requirement.CniPlugins => CniPluginsMissing(),
        Requirement.Iproute => Tool("ip", "apt-get install iproute2"),
        _ => throw new ArgumentException($"unknown prerequisite '{name}'", nameof(name)),
    };

    /// <summary>Finds an executable on PATH (and the sbin folders root has).</summary>
    public static string? FindTool(string tool)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        var dirs = path.Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"]);
        return dirs.Select(d => Path.Combine(d, tool)).FirstOrDefault(File.Exists);
    }

    private static string? Tool(string tool, string fix) =>
        FindTool(tool) is null ? $"{tool} not found on PATH: {fix}" : null;

    /// <summary>Debian's containernetworking-plugins directory (not /opt/cni/bin, containerd's default).</summary>
    public const string CniBinDir = "/usr/lib/cni";

    // The CRI suite's conflist uses bridge, host-local and portmap; containerd adds loopback itself.
    private static string? CniPluginsMissing() =>
        new[] { "bridge", "host-local", "portmap", "loopback" }.FirstOrDefault(p => !File.Exists(Path.Combine(CniBinDir, p))) is { } missing
            ? $"CNI plugin {Path.Combine(CniBinDir, missing)} not found: apt-get install containernetworking-plugins"
            : null;

    private static bool IsRoot() => Environment.IsPrivilegedProcess;
}
