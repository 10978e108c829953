using Sev;
using System.Text.Json;
using SevShim.Config;
using SevShim.Errors;

namespace SevShim.Qemu;

/// <summary>
/// The guest kernel, initramfs and kernel command line of a pod. The command line comes from
/// guest-image/build.sh's manifest.json (key "kernel_cmdline"), looked for beside the initramfs,
/// because the image build knows which console and quirks its kernel needs. For a
/// non-confidential pod an uncompressed "vmlinux" beside the configured kernel is preferred:
/// QEMU boots it through the PVH entry and skips the xz decompression that costs about 6 s under
/// TCG (ARCHITECTURE "Facts measured"); OVMF/SEV boots need the bzImage.
/// </summary>
internal sealed record GuestImage(string KernelPath, string InitrdPath, string KernelCommandLine, string? ManifestPath)
{
    /// <summary>The manifest's file name.</summary>
    public const string ManifestName = "manifest.json";

    /// <summary>Used when no manifest is found: the serial console and halt-on-panic, which -no-reboot turns into a QEMU exit.</summary>
    public const string FallbackCommandLine = "console=ttyS0 quiet panic=-1";

    /// <summary>Resolves the image from the configuration, checking that the files exist.</summary>
    public static GuestImage Resolve(ShimConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Require(config.KernelPath, "vm.kernel");
        Require(config.InitrdPath, "vm.initrd");
        var kernel = config.KernelPath;
        var vmlinux = Path.Combine(Path.GetDirectoryName(kernel) ?? "/", "vmlinux");
        if (config.Confidential == SevMode.None && File.Exists(vmlinux))
        {
            kernel = vmlinux;
        }

        var manifest = Path.Combine(Path.GetDirectoryName(config.InitrdPath) ?? "/", ManifestName);
        if (!File.Exists(manifest))
        {
            return new GuestImage(kernel, config.InitrdPath, FallbackCommandLine, null);
        }

        return new GuestImage(kernel, config.InitrdPath, ReadCommandLine(manifest), manifest);
    }

    /// <summary>Reads "kernel_cmdline" from a manifest.</summary>
    public static string ReadCommandLine(string manifestPath)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
            if (doc.RootElement.TryGetProperty("kernel_cmdline", out var value)
                && value.ValueKind == JsonValueKind.String
                && value.GetString() is { Length: > 0 } cmdline)
            {
                return cmdline;
            }
        }
        catch (JsonException ex)
        {
            throw new ShimException(ShimErrorKind.FailedPrecondition, $"sevshim: guest image manifest {manifestPath} is not valid JSON ({ex.Message}): rebuild it with guest-image/build.sh");
        }

        throw new ShimException(ShimErrorKind.FailedPrecondition, $"sevshim: guest image manifest {manifestPath} has no \"kernel_cmdline\" string: rebuild it with guest-image/build.sh");
    }

    private static void Require(string path, string key)
    {
        if (!File.Exists(path))
        {
            throw new ShimException(
                ShimErrorKind.FailedPrecondition,
                $"sevshim: {key} = \"{path}\" does not exist: build the guest image (guest-image/build.sh) and point {key} at it");
        }
    }
}
