using Serilog.Core;
using SevShim.Rootfs;
using SevShim.Sandbox;
using TestSupport;

using SevRuntime.Posix;
using SevShim.Native;

namespace SevShim.ComponentTests;

public sealed class QemuStateCleanupTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sevshim-stale-");

    public void Dispose()
    {
        if (MountTable.MountPointsUnder(_dir.FullName).Count == 0)
        {
            _dir.Delete(recursive: true);
        }
    }

    [E2EFact(Requirement.Root)]
    public void StaleMountsOfADeadShimAreDetachedAndTheFolderRemovedWithoutTouchingTheSources()
    {
        Prerequisites.Ensure(Requirement.Root);
        var source = Directory.CreateDirectory(Path.Combine(_dir.FullName, "source")).FullName;
        File.WriteAllText(Path.Combine(source, "keep"), "host data");
        Directory.CreateDirectory(Path.Combine(source, "inner"));
        var volume = Directory.CreateDirectory(Path.Combine(_dir.FullName, "volume")).FullName;
        File.WriteAllText(Path.Combine(volume, "keep"), "volume data");
        var root = Path.Combine(_dir.FullName, "state");
        var target = Directory.CreateDirectory(Path.Combine(root, "pod1", "share", "c1", "rootfs")).FullName;
        LibC.Mount(source, target, null, Posix.MS_BIND, null);
        // A mount on top of a mount: the cleanup must take the deeper one first.
        LibC.Mount(volume, Path.Combine(target, "inner"), null, Posix.MS_BIND, null);
        Assert.Equal(2, MountTable.MountPointsUnder(root).Count);

        Assert.True(QemuStateCleanup.RemovePodState(root, "pod1", Logger.None));

        Assert.Empty(MountTable.MountPointsUnder(_dir.FullName));
        Assert.False(Directory.Exists(Path.Combine(root, "pod1")));
        Assert.Equal("host data", File.ReadAllText(Path.Combine(source, "keep")));
        Assert.Equal("volume data", File.ReadAllText(Path.Combine(volume, "keep")));
        Assert.True(QemuStateCleanup.RemovePodState(root, "absent", Logger.None));
    }
}
