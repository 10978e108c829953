using SevShim.Hosting;

namespace SevShim.Tests.Hosting;

public sealed class RootfsMountsTests
{
    [Fact]
    public void MountsUnderTheRootfsAreFoundDeepestFirst()
    {
        string[] lines =
        [
            "22 1 8:1 / / rw - ext4 /dev/sda1 rw",
            "40 22 0:50 / /run/b/c1/rootfs rw - overlay overlay rw",
            "41 40 0:51 / /run/b/c1/rootfs/proc rw - proc proc rw",
            "42 22 0:52 / /run/b/c1/rootfs2 rw - tmpfs tmpfs rw",
            "43 22 0:53 / /run/b/c1/rootfs/with\\040space rw - tmpfs tmpfs rw",
        ];
        var found = RootfsMounts.Under("/run/b/c1/rootfs/", lines);
        Assert.Equal(["/run/b/c1/rootfs/with space", "/run/b/c1/rootfs/proc", "/run/b/c1/rootfs"], found);
    }

    [Fact]
    public void OctalEscapesAreDecoded() => Assert.Equal("a b\\c", RootfsMounts.Unescape("a\\040b\\134c"));
}
