using System.Reflection;
using SevShim.Config;

namespace SevShim.Hosting;

/// <summary>
/// The admin verbs of ARCHITECTURE decision 12 on the shim binary: <c>version</c>, <c>config</c>,
/// <c>check</c> and <c>measure</c>. Each returns the process exit code.
/// </summary>
internal static class AdminCommands
{
    /// <summary>The binary name containerd resolves for io.containerd.sevshim.v2.</summary>
    public const string BinaryName = "containerd-shim-sevshim-v2";

    /// <summary>Version lines in the layout the Go shims print for -v.</summary>
    public static int Version(TextWriter stdout)
    {
        ArgumentNullException.ThrowIfNull(stdout);
        var (version, revision) = VersionInfo();
        stdout.WriteLine($"{BinaryName}:");
        stdout.WriteLine($"  Version:  {version}");
        stdout.WriteLine($"  Revision: {revision}");
        stdout.WriteLine($"  .NET version: {Environment.Version}");
        return 0;
    }

    /// <summary>The build's version and source revision (SDK-stamped "version+commit").</summary>
    public static (string Version, string Revision) VersionInfo()
    {
        var informational = typeof(AdminCommands).Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? (informational, "unknown") : (informational[..plus], informational[(plus + 1)..]);
    }

    /// <summary><c>config [file]</c>: the effective configuration as TOML, or the errors (exit 1).</summary>
    public static int Config(IReadOnlyList<string> rest, ShimEnvironment env, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(rest);
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (rest.Count > 1)
        {
            stderr.WriteLine($"usage: {BinaryName} config [file]   (default: ${ConfigLocator.EnvironmentVariable}, else {ConfigLocator.DefaultPath})");
            return 2;
        }

        try
        {
            var source = rest.Count == 1
                ? new ConfigSource(Path.GetFullPath(rest[0]), "command line", true)
                : ConfigLocator.Resolve(null, env.Get);
            stdout.Write(ConfigTomlWriter.Write(ConfigLocator.Load(source), source));
            return 0;
        }
        catch (ConfigException e)
        {
            stderr.WriteLine(e.Message);
            return 1;
        }
    }

    /// <summary>
    /// HOOK(check): host readiness for SEV, with the fix for each gap. The sevcheck helper is
    /// writing it as a library call; wire it here (one line) once it is on main.
    /// </summary>
    public static async Task<int> CheckAsync(IReadOnlyList<string> rest, ShimEnvironment env, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(rest);
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);

        // The configured QEMU and firmware are what pods would use, so they are what is checked;
        // --qemu and --firmware override them. A broken configuration is reported, not fatal:
        // the host check is still worth having.
        var defaults = new Sev.Check.SevCheckOptions();
        try
        {
            var config = ConfigLocator.Load(ConfigLocator.Resolve(null, env.Get));
            defaults = new Sev.Check.SevCheckOptions { QemuBinary = config.QemuPath, FirmwarePath = config.FirmwarePath };
        }
        catch (ConfigException e)
        {
            await stderr.WriteLineAsync($"{BinaryName} check: configuration ignored: {e.Message}");
        }

        return await Sev.Check.SevCheckCommand.RunAsync([.. rest], defaults, stdout, stderr, CancellationToken.None);
    }

    /// <summary><c>measure ...</c>: the expected launch digest (Sev.Measurement's verb).</summary>
    public static int Measure(IReadOnlyList<string> rest, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(rest);
        return Sev.Measurement.MeasureCommand.Run([.. rest], stdout, stderr);
    }

    /// <summary>
    /// <c>attestation POD [STATE_ROOT]</c>: prints the SNP attestation evidence the pod's shim
    /// verified and recorded at its start (Confidential/SnpAttestationStep).
    /// </summary>
    public static int Attestation(IReadOnlyList<string> rest, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(rest);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        if (rest.Count is < 1 or > 2)
        {
            stderr.WriteLine($"usage: {BinaryName} attestation POD-ID [STATE-ROOT (default {Qemu.PodStateLayout.DefaultRoot})]");
            return 2;
        }

        var root = rest.Count == 2 ? rest[1] : Qemu.PodStateLayout.DefaultRoot;
        var record = Path.Combine(Qemu.PodStateLayout.For(root, rest[0]).Directory, Confidential.SnpAttestationStep.RecordFileName);
        if (!File.Exists(record))
        {
            stderr.WriteLine($"{BinaryName} attestation: {record} does not exist: pod \"{rest[0]}\" is not running here, or it was not started with confidential.attestation = \"report\" (sev-snp)");
            return 1;
        }

        stdout.WriteLine(File.ReadAllText(record));
        return 0;
    }
}
