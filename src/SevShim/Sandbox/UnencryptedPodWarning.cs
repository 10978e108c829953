using Sev;
using Serilog;
using SevShim.Config;

namespace SevShim.Sandbox;

/// <summary>
/// The warning every unencrypted pod start logs (issue 5 part 2: with confidential.mode "none"
/// every pod start says that the pod is not encrypted). It is a Warning, not Information, because
/// an operator who expected SEV must see it in containerd's log; its properties (ConfigKey,
/// ConfigSource, Fix) let log queries find every such pod.
/// </summary>
internal static class UnencryptedPodWarning
{
    /// <summary>The key that chose "none".</summary>
    public const string ConfigKey = "confidential.mode";

    /// <summary>What to do about it.</summary>
    public const string Fix =
        "set confidential.mode = \"sev\", \"sev-es\" or \"sev-snp\" on a host where `containerd-shim-sevshim-v2 check` passes";

    /// <summary>Logs the warning when <paramref name="config"/> runs pods unencrypted; true when it did.</summary>
    public static bool LogIfUnencrypted(ShimConfig config, ILogger log)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(log);
        if (config.Confidential != SevMode.None)
        {
            return false;
        }

        log.Warning(
            "this pod VM is NOT encrypted: its memory and registers are readable by the host, because {ConfigKey} = \"none\" in {ConfigSource}; to encrypt pods, {Fix}",
            ConfigKey,
            config.SourcePath ?? "the built-in defaults",
            Fix);
        return true;
    }
}
