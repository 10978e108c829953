namespace Sev.Check;

/// <summary>
/// The `check` verb of containerd-shim-sevshim-v2 (the hosting code forwards its arguments here):
/// <code>containerd-shim-sevshim-v2 check [--json] [--qemu PATH] [--firmware PATH]</code>
/// Prints one line per item and a summary (or the JSON document). Exit code: 0 when SEV pods can
/// run on this host, 1 when they cannot, 2 for bad arguments.
/// </summary>
public static class SevCheckCommand
{
    /// <summary>Exit code when SEV pods can run.</summary>
    public const int ExitReady = 0;

    /// <summary>Exit code when they cannot.</summary>
    public const int ExitNotReady = 1;

    /// <summary>Exit code for bad arguments.</summary>
    public const int ExitUsage = 2;

    /// <summary>Usage text.</summary>
    public const string Usage =
        "usage: containerd-shim-sevshim-v2 check [--json] [--qemu PATH] [--firmware PATH]\n"
        + "  Checks whether this host can run SEV, SEV-ES and SEV-SNP pods, item by item, with the fix for each gap.\n"
        + "  --json           print a JSON document instead of text\n"
        + "  --qemu PATH      QEMU system emulator to check (default: the configuration's vm.qemu, else qemu-system-x86_64)\n"
        + "  --firmware PATH  OVMF to check (default: the configuration's vm.firmware, else the usual OVMF locations)\n"
        + "  exit status: 0 SEV pods can run, 1 they cannot, 2 bad arguments";

    /// <summary>Parses <paramref name="args"/> (the words after "check") and runs the check on the real host.</summary>
    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken) =>
        RunAsync(args, new SevCheckOptions(), stdout, stderr, cancellationToken);

    /// <summary>Like <see cref="RunAsync(string[], TextWriter, TextWriter, CancellationToken)"/> with defaults from the
    /// shim's configuration (vm.qemu, vm.firmware) that the flags override.</summary>
    public static async Task<int> RunAsync(
        string[] args, SevCheckOptions defaults, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        var probe = new LinuxHostProbe(defaults.QemuTimeout);
        return await RunAsync(args, defaults, probe, stdout, stderr, cancellationToken);
    }

    /// <summary>The command against any <see cref="IHostProbe"/> (tests pass a fake host).</summary>
    public static async Task<int> RunAsync(
        string[] args, SevCheckOptions defaults, IHostProbe probe, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var options = defaults;
        var json = false;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--json":
                    json = true;
                    break;
                case "--qemu" when i + 1 < args.Length:
                    options = options with { QemuBinary = args[++i] };
                    break;
                case "--firmware" when i + 1 < args.Length:
                    options = options with { FirmwarePath = args[++i] };
                    break;
                case "-h" or "--help":
                    await stdout.WriteLineAsync(Usage);
                    return ExitReady;
                default:
                    await stderr.WriteLineAsync($"check: unknown or incomplete argument '{args[i]}'\n{Usage}");
                    return ExitUsage;
            }
        }

        var report = await HostCheck.RunAsync(probe, options, cancellationToken);
        if (json)
        {
            HostReportWriter.WriteJson(report, stdout);
        }
        else
        {
            HostReportWriter.WriteHuman(report, stdout);
        }

        return report.CanRun(SevMode.Sev) ? ExitReady : ExitNotReady;
    }
}
