using Sev;
using SevShim.Config;
using SevShim.Errors;
using SevShim.Qemu;

namespace SevShim.Tests.Qemu;

public sealed class GuestImageTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sevshim-image-");

    public void Dispose() => _dir.Delete(recursive: true);

    private ShimConfig Config(SevMode mode) => new()
    {
        KernelPath = Path.Combine(_dir.FullName, "vmlinuz"),
        InitrdPath = Path.Combine(_dir.FullName, "initrd.img"),
        Confidential = mode,
    };

    private void Write(string name, string text = "x") => File.WriteAllText(Path.Combine(_dir.FullName, name), text);

    [Fact]
    public void CommandLineComesFromTheManifestAndVmlinuxIsPreferredWhenNotConfidential()
    {
        Write("vmlinuz");
        Write("vmlinux");
        Write("initrd.img");
        Write("manifest.json", """{"schema":1,"kernel_cmdline":"console=ttyS0 panic=-1 8250.nr_uarts=1"}""");
        var image = GuestImage.Resolve(Config(SevMode.None));
        Assert.Equal("console=ttyS0 panic=-1 8250.nr_uarts=1", image.KernelCommandLine);
        Assert.EndsWith("/vmlinux", image.KernelPath, StringComparison.Ordinal);
        Assert.EndsWith("/vmlinuz", GuestImage.Resolve(Config(SevMode.Sev)).KernelPath, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutManifestTheFallbackCommandLineIsUsed()
    {
        Write("vmlinuz");
        Write("initrd.img");
        Assert.Equal(GuestImage.FallbackCommandLine, GuestImage.Resolve(Config(SevMode.None)).KernelCommandLine);
    }

    [Fact]
    public void MissingKernelNamesTheKey()
    {
        Write("initrd.img");
        var ex = Assert.Throws<ShimException>(() => GuestImage.Resolve(Config(SevMode.None)));
        Assert.Contains("vm.kernel", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ManifestWithoutCommandLineIsAnError()
    {
        Write("vmlinuz");
        Write("initrd.img");
        Write("manifest.json", """{"schema":1}""");
        Assert.Throws<ShimException>(() => GuestImage.Resolve(Config(SevMode.None)));
    }
}
