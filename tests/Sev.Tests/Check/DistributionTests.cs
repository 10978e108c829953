using Sev.Check;

namespace Sev.Tests.Check;

public sealed class DistributionTests
{
    [Theory]
    [InlineData("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n", "debian", DistroFamily.Debian)]
    [InlineData("ID=ubuntu\nID_LIKE=debian\n", "ubuntu", DistroFamily.Debian)]
    [InlineData("ID=fedora\n", "fedora", DistroFamily.RedHat)]
    [InlineData("ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n", "rocky", DistroFamily.RedHat)]
    [InlineData("ID=\"sles\"\nID_LIKE=\"suse\"\n", "sles", DistroFamily.Suse)]
    [InlineData("ID=\"opensuse-tumbleweed\"\nID_LIKE=\"opensuse suse\"\n", "opensuse-tumbleweed", DistroFamily.Suse)]
    [InlineData("# comment\nID=arch\n", "arch", DistroFamily.Unknown)]
    [InlineData(null, "unknown", DistroFamily.Unknown)]
    public void Classifies_os_release(string? text, string id, DistroFamily family)
    {
        var d = Distribution.FromOsRelease(text);

        Assert.Equal(id, d.Id);
        Assert.Equal(family, d.Family);
    }

    [Fact]
    public void Pretty_name_is_unquoted()
    {
        Assert.Equal("Debian GNU/Linux 12 (bookworm)", Distribution.FromOsRelease("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian").PrettyName);
    }
}
