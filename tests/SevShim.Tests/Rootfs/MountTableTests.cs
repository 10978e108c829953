using SevShim.Rootfs;

namespace SevShim.Tests.Rootfs;

public sealed class MountTableTests : IDisposable
{
    private readonly string _file = Path.GetTempFileName();

    public void Dispose() => File.Delete(_file);

    [Fact]
    public void ParsesAndUnescapesTheMountPoint()
    {
        Assert.Equal("/run/a b\\c", MountTable.ParseMountPoint(@"36 35 98:0 / /run/a\040b\134c rw,noatime master:1 - ext3 /dev/root rw"));
        Assert.Null(MountTable.ParseMountPoint("garbage"));
    }

    [Fact]
    public void FindsMountsAtOrBelowAFolderOnly()
    {
        File.WriteAllLines(_file,
        [
            "1 0 8:1 / / rw - ext4 /dev/sda1 rw",
            "2 1 0:5 / /run/sevshim/p1/share/c1/rootfs rw - overlay overlay rw",
            "3 1 0:6 / /run/sevshim/p10 rw - tmpfs tmpfs rw",
            "4 1 0:7 / /run/sevshim/p1 rw - tmpfs tmpfs rw",
        ]);
        Assert.Equal(["/run/sevshim/p1/share/c1/rootfs", "/run/sevshim/p1"], MountTable.MountPointsUnder("/run/sevshim/p1", _file));
    }
}
