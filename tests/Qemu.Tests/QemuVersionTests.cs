namespace Qemu.Tests;

public sealed class QemuVersionTests
{
    [Theory]
    [InlineData("QEMU emulator version 7.2.22 (Debian 1:7.2+dfsg-7+deb12u18+b3)", 7, 2, 22, "Debian 1:7.2+dfsg-7+deb12u18+b3")]
    [InlineData("QEMU emulator version 9.1.0", 9, 1, 0, "")]
    [InlineData("QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)", 8, 2, 2, "Debian 1:8.2.2+ds-0ubuntu1")]
    [InlineData("QEMU emulator version 6.2.0 (qemu-kvm-6.2.0-11.el9)", 6, 2, 0, "qemu-kvm-6.2.0-11.el9")]
    [InlineData("10.1", 10, 1, 0, "")]
    public void Parses_version_lines(string text, int major, int minor, int micro, string package)
    {
        var info = QemuVersion.Parse(text);

        Assert.Equal(new QemuVersion(major, minor, micro), info.Version);
        Assert.Equal(package, info.Package);
    }

    [Theory]
    [InlineData("")]
    [InlineData("qemu-img: command not found")]
    public void Rejects_text_without_a_version(string text)
    {
        Assert.False(QemuVersion.TryParse(text, out _));
        var ex = Assert.Throws<FormatException>(() => QemuVersion.Parse(text));
        Assert.Contains("QEMU version", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Orders_numerically_not_lexically()
    {
        Assert.True(new QemuVersion(10, 0, 0) > new QemuVersion(9, 2, 0));
        Assert.True(new QemuVersion(9, 1, 0).AtLeast(9, 1));
        Assert.False(new QemuVersion(9, 0, 2).AtLeast(9, 1));
        Assert.True(new QemuVersion(7, 2, 22) < new QemuVersion(7, 10, 0));
    }
}
