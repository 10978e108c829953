using System.Globalization;

namespace Sev.Measurement;

/// <summary>
/// Parses the <c>measure</c> command line into a <see cref="MeasureRequest"/>. Options take their
/// value as the next argument or after '='. Every error names the option and the fix.
/// </summary>
internal static class MeasureArguments
{
    private static readonly string[] Known =
    [
        "--mode", "--firmware", "--ovmf", "--kernel", "--initrd", "--append", "--vcpus", "--vcpu-type",
        "--vcpu-sig", "--vmsa-style", "--guest-features", "--snp-ovmf-hash",
    ];

    /// <summary>True when the arguments ask for help.</summary>
    public static bool WantsHelp(IReadOnlyList<string> args) => args.Any(a => a is "-h" or "--help");

    public static MeasureRequest Parse(IReadOnlyList<string> args)
    {
        var values = Collect(args);
        var mode = ParseMode(Required(values, "--mode", "pass --mode sev, --mode sev-es or --mode snp"));
        var firmware = values.GetValueOrDefault("--firmware") ?? values.GetValueOrDefault("--ovmf")
            ?? throw new MeasureUsageException("--firmware is required: pass --firmware PATH to the OVMF image QEMU boots (OVMF.fd of the AmdSev build)");
        if (values.ContainsKey("--firmware") && values.ContainsKey("--ovmf"))
        {
            throw new MeasureUsageException("--firmware and --ovmf name the same file: pass only --firmware");
        }

        RequireFile("--firmware", firmware, "the OVMF image QEMU boots");
        var kernel = values.GetValueOrDefault("--kernel");
        var initrd = values.GetValueOrDefault("--initrd");
        var append = values.GetValueOrDefault("--append");
        if (kernel is null && initrd is not null)
        {
            throw new MeasureUsageException("--initrd needs --kernel: measured direct boot hashes the initrd only together with a kernel; add --kernel PATH");
        }

        // As sev-snp-measure: an empty --append without a kernel measures nothing and is accepted.
        if (kernel is null && !string.IsNullOrEmpty(append))
        {
            throw new MeasureUsageException("--append needs --kernel: measured direct boot hashes the command line only together with a kernel; add --kernel PATH");
        }

        if (kernel is not null)
        {
            RequireFile("--kernel", kernel, "the -kernel file (bzImage) QEMU boots");
        }

        if (initrd is not null)
        {
            RequireFile("--initrd", initrd, "the -initrd file QEMU boots");
        }

        var style = ParseStyle(values.GetValueOrDefault("--vmsa-style"));
        if (mode == MeasurementMode.Snp && style == VmsaStyle.Legacy)
        {
            throw new MeasureUsageException("--vmsa-style legacy does not apply to --mode snp: SNP guests always use KVM_SEV_INIT2 VMSAs; drop --vmsa-style or use init2");
        }

        var ovmfHash = ParseOvmfHash(values.GetValueOrDefault("--snp-ovmf-hash"), mode);
        return new MeasureRequest(mode, firmware)
        {
            KernelPath = kernel,
            InitrdPath = initrd,
            Append = kernel is null ? null : append,
            Vcpus = ParseVcpus(values.GetValueOrDefault("--vcpus")),
            VcpuSignature = ParseSignature(values.GetValueOrDefault("--vcpu-type"), values.GetValueOrDefault("--vcpu-sig")),
            VmsaStyle = style,
            GuestFeatures = ParseFeatures(values.GetValueOrDefault("--guest-features")),
            SnpOvmfHash = ovmfHash,
        };
    }

    private static Dictionary<string, string> Collect(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            string name;
            string? value = null;
            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                name = arg[..eq];
                value = arg[(eq + 1)..];
            }
            else
            {
                name = arg;
            }

            if (!Known.Contains(name))
            {
                throw new MeasureUsageException(arg.StartsWith('-')
                    ? $"unknown option '{name}': the options are {string.Join(", ", Known)} (see --help)"
                    : $"unexpected argument '{arg}': every value follows its option, e.g. --append \"{arg}\" (see --help)");
            }

            if (value is null)
            {
                // The value may itself start with '-' (a command line like "-v"), so take it as is.
                if (i + 1 >= args.Count)
                {
                    throw new MeasureUsageException($"{name} needs a value: pass {name} VALUE (see --help)");
                }

                value = args[++i];
            }

            if (!values.TryAdd(name, value))
            {
                throw new MeasureUsageException($"{name} is given twice: pass it once");
            }
        }

        return values;
    }

    private static string Required(Dictionary<string, string> values, string name, string fix) =>
        values.GetValueOrDefault(name) ?? throw new MeasureUsageException($"{name} is required: {fix}");

    private static MeasurementMode ParseMode(string value) => value.ToLowerInvariant() switch
    {
        "sev" => MeasurementMode.Sev,
        "sev-es" or "seves" => MeasurementMode.SevEs,
        "snp" or "sev-snp" => MeasurementMode.Snp,
        _ => throw new MeasureUsageException($"--mode '{value}' is not a mode: use sev, sev-es or snp"),
    };

    private static VmsaStyle ParseStyle(string? value) => value?.ToLowerInvariant() switch
    {
        null or "init2" => VmsaStyle.Init2,
        "legacy" => VmsaStyle.Legacy,
        _ => throw new MeasureUsageException(
            $"--vmsa-style '{value}' is not a style: use legacy (KVM_SEV_ES_INIT, QEMU legacy-vm-type=on) or init2 (KVM_SEV_INIT2, host kernel 6.10+)"),
    };

    private static int ParseVcpus(string? value)
    {
        if (value is null)
        {
            return 1;
        }

        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > LaunchDigest.MaxVcpus)
        {
            throw new MeasureUsageException($"--vcpus '{value}' is not a vCPU count: pass a whole number from 1 to {LaunchDigest.MaxVcpus} (QEMU -smp)");
        }

        return n;
    }

    private static uint ParseSignature(string? type, string? sig)
    {
        if (type is not null && sig is not null)
        {
            throw new MeasureUsageException("--vcpu-type and --vcpu-sig both set the vCPU signature: pass only one");
        }

        if (sig is not null)
        {
            if (!TryParseHex(sig, out var value) || value > uint.MaxValue)
            {
                throw new MeasureUsageException($"--vcpu-sig '{sig}' is not a 32-bit hex CPUID signature: pass e.g. 0x800f12");
            }

            return (uint)value;
        }

        if (type is null)
        {
            return MeasureRequest.DefaultVcpuSignature;
        }

        return VcpuTypes.TryGetSignature(type, out var signature)
            ? signature
            : throw new MeasureUsageException($"--vcpu-type '{type}' is not a known QEMU CPU model: use one of {string.Join(", ", VcpuTypes.Names)}, or --vcpu-sig HEX");
    }

    private static ulong ParseFeatures(string? value)
    {
        if (value is null)
        {
            return 0x1;
        }

        return TryParseHex(value, out var features)
            ? features
            : throw new MeasureUsageException($"--guest-features '{value}' is not a 64-bit hex value: pass e.g. 0x1 (host kernel 6.8+) or 0x21 (6.6-6.7)");
    }

    private static ReadOnlyMemory<byte> ParseOvmfHash(string? value, MeasurementMode mode)
    {
        if (value is null)
        {
            return ReadOnlyMemory<byte>.Empty;
        }

        if (mode != MeasurementMode.Snp)
        {
            throw new MeasureUsageException("--snp-ovmf-hash applies only to --mode snp: drop it");
        }

        try
        {
            var bytes = Convert.FromHexString(value);
            if (bytes.Length == SnpGuestContext.DigestSize)
            {
                return bytes;
            }
        }
        catch (FormatException)
        {
            // Reported below with the fix.
        }

        throw new MeasureUsageException($"--snp-ovmf-hash '{value}' is not 96 hex digits: pass the value 'snp:ovmf-hash' mode printed for this firmware");
    }

    private static bool TryParseHex(string text, out ulong value)
    {
        var digits = text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        return ulong.TryParse(digits, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value) && digits.Length > 0;
    }

    private static void RequireFile(string option, string path, string what)
    {
        if (path.Length == 0)
        {
            throw new MeasureUsageException($"{option} is empty: pass the path of {what}");
        }

        if (Directory.Exists(path))
        {
            throw new MeasureUsageException($"{option} '{path}' is a directory: pass the path of {what}");
        }

        if (!File.Exists(path))
        {
            throw new MeasureUsageException($"{option} '{path}' does not exist: pass the path of {what}");
        }
    }
}
