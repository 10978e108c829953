using System.Text.Json;
using TestSupport;

namespace GuestImage.IntegrationTests;

/// <summary>
/// The artefacts guest-image/build.sh wrote (vmlinuz, initrd.img, manifest.json) and the kernel
/// command line its manifest recommends.
/// </summary>
internal sealed class GuestImageFiles
{
    private GuestImageFiles(string dir, string kernelCmdline, string kernelVersion)
    {
        Dir = dir;
        KernelCmdline = kernelCmdline;
        KernelVersion = kernelVersion;
    }

    public string Dir { get; }

    /// <summary>The bzImage (xz inside): the kernel OVMF and SEV boots use.</summary>
    public string Kernel => Path.Combine(Dir, "vmlinuz");

    /// <summary>The uncompressed kernel for QEMU's PVH entry (optional artefact: null when absent).</summary>
    public string? UncompressedKernel => File.Exists(Path.Combine(Dir, "vmlinux")) ? Path.Combine(Dir, "vmlinux") : null;

    public string Initrd => Path.Combine(Dir, "initrd.img");

    public string Manifest => Path.Combine(Dir, "manifest.json");

    /// <summary>The manifest's kernel_cmdline.</summary>
    public string KernelCmdline { get; }

    /// <summary>The manifest's kernel_version (the guest's `uname -r`).</summary>
    public string KernelVersion { get; }

    public static GuestImageFiles Load()
    {
        var dir = RepoPaths.GuestImageDir;
        var manifest = Path.Combine(dir, "manifest.json");
        if (!File.Exists(manifest))
        {
            throw new InvalidOperationException($"{manifest} is missing: run guest-image/build.sh");
        }

        using var doc = JsonDocument.Parse(File.ReadAllText(manifest));
        var root = doc.RootElement;
        var cmdline = root.GetProperty("kernel_cmdline").GetString()
            ?? throw new InvalidOperationException($"{manifest} has no kernel_cmdline: rebuild with guest-image/build.sh");
        var version = root.GetProperty("kernel_version").GetString()
            ?? throw new InvalidOperationException($"{manifest} has no kernel_version: rebuild with guest-image/build.sh");
        return new GuestImageFiles(dir, cmdline, version);
    }
}
