namespace Sev.Measurement;

/// <summary>
/// The <c>measure</c> admin verb (wired as <c>containerd-shim-sevshim-v2 measure ...</c>): prints
/// the expected launch digest in lowercase hex, then a newline, and nothing else on stdout.
/// Exit codes: 0 success (or --help), 2 bad arguments, missing or unreadable files, or inputs
/// that cannot be measured (the message on stderr names the argument and the fix).
/// </summary>
public static class MeasureCommand
{
    /// <summary>Exit code for success.</summary>
    public const int ExitOk = 0;

    /// <summary>Exit code for bad arguments, missing files and unmeasurable inputs.</summary>
    public const int ExitUsage = 2;

    /// <summary>The help text.</summary>
    public const string Usage = """
        usage: measure --mode sev|sev-es|snp --firmware OVMF.fd [--kernel FILE [--initrd FILE] [--append STRING]]
                       [--vcpus N] [--vcpu-type NAME | --vcpu-sig HEX] [--vmsa-style legacy|init2]
                       [--guest-features HEX] [--snp-ovmf-hash HEX]

        Prints the expected launch digest of a QEMU SEV guest in lowercase hex: SHA-256 GCTX.LD for
        sev and sev-es (the input of the LAUNCH_MEASURE HMAC), the 48-byte report MEASUREMENT for snp.

          --mode            sev, sev-es (alias seves) or snp (alias sev-snp)
          --firmware        the OVMF image QEMU boots; the whole file is measured (alias --ovmf)
          --kernel          the -kernel file; its hashes table is measured (kernel-hashes=on)
          --initrd          the -initrd file (none: SHA-256 of the empty input)
          --append          the exact -append string (none: just the NUL byte)
          --vcpus           number of vCPUs, QEMU -smp (sev-es, snp; default 1)
          --vcpu-type       QEMU -cpu model (default EPYC-v4): EPYC, EPYC-v1..v4, EPYC-IBPB, EPYC-Rome[-v1..v3],
                            EPYC-Milan[-v1,-v2], EPYC-Genoa[-v1], EPYC-Turin
          --vcpu-sig        CPUID(1).EAX signature instead of --vcpu-type, e.g. 0x800f12
          --vmsa-style      sev-es VMSA FPU state: init2 (KVM_SEV_INIT2, host kernel 6.10+, default) or
                            legacy (KVM_SEV_ES_INIT, QEMU legacy-vm-type=on); snp is always init2
          --guest-features  snp VMSA SEV_FEATURES in hex (default 0x1; 0x21 on host kernels 6.6-6.7)
          --snp-ovmf-hash   snp only: precomputed OVMF hash (96 hex digits) instead of hashing the firmware
        """;

    /// <summary>Runs the verb. <paramref name="args"/> are the arguments after "measure".</summary>
    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);

        // Tolerate being handed the verb itself as the first argument.
        IReadOnlyList<string> list = args.Length > 0 && args[0] == "measure" ? args[1..] : args;
        if (MeasureArguments.WantsHelp(list))
        {
            stdout.WriteLine(Usage);
            return ExitOk;
        }

        try
        {
            var request = MeasureArguments.Parse(list);
            var digest = request.Compute();
            stdout.WriteLine(Convert.ToHexStringLower(digest));
            return ExitOk;
        }
        catch (MeasureUsageException ex)
        {
            return Fail(stderr, ex.Message);
        }
        catch (OvmfFormatException ex)
        {
            return Fail(stderr, "--firmware: " + ex.Message);
        }
        catch (MeasurementException ex)
        {
            return Fail(stderr, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Fail(stderr, ex.Message + ": check the file paths and their permissions");
        }
    }

    private static int Fail(TextWriter stderr, string message)
    {
        stderr.WriteLine("measure: " + message);
        return ExitUsage;
    }
}
