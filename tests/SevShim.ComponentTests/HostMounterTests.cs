using Serilog.Core;
using SevShim.Rootfs;
using SevShim.Sandbox;
using TestSupport;

namespace SevShim.ComponentTests;

public sealed class HostMounterTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sevshim-mounts-");

    public void Dispose()
    {
        // Only reached with nothing mounted (the test asserts it); never delete through a mount.
        if (MountTable.MountPointsUnder(_dir.FullName).Count == 0)
        {
            _dir.Delete(recursive: true);
        }
    }

    [E2EFact(Requirement.Root)]
    public void AppliesBindMountsReadOnlyAsAskedAndLeavesNothingMounted()
    {
        Prerequisites.Ensure(Requirement.Root);
        var bundle = Directory.CreateDirectory(Path.Combine(_dir.FullName, "bundle"));
        var rootfs = Directory.CreateDirectory(Path.Combine(bundle.FullName, "rootfs"));
        File.WriteAllText(Path.Combine(rootfs.FullName, "marker"), "root");
        var data = Directory.CreateDirectory(Path.Combine(_dir.FullName, "data"));
        File.WriteAllText(Path.Combine(data.FullName, "keep"), "host file");
        var share = Path.Combine(_dir.FullName, "share");
        var spec = $$"""{"process":{"args":["sh"]},"root":{"path":"rootfs"},"mounts":[{"destination":"/data","type":"bind","source":"{{data.FullName}}","options":["rbind","ro"]}]}""";
        var plan = MountPlanner.Plan(new ContainerCreateRequest("c1", bundle.FullName, spec, [], StdioPaths.None), share, HostFileSystem.KindOf);

        var applied = HostMounter.Apply(plan, Logger.None);
        var mounted = MountTable.MountPointsUnder(share);
        Assert.Equal([Path.Combine(share, "c1", "rootfs"), Path.Combine(share, "c1", "mounts", "0")], mounted);
        Assert.Equal("root", File.ReadAllText(Path.Combine(share, "c1", "rootfs", "marker")));
        Assert.Equal("host file", File.ReadAllText(Path.Combine(share, "c1", "mounts", "0", "keep")));
        var readOnly = Record.Exception(() => File.WriteAllText(Path.Combine(share, "c1", "mounts", "0", "new"), "x"));
        Assert.True(readOnly is IOException or UnauthorizedAccessException, $"write to a read-only share mount: {readOnly}");

        HostMounter.Remove(applied, Logger.None);
        Assert.Empty(MountTable.MountPointsUnder(_dir.FullName));
        Assert.False(Directory.Exists(Path.Combine(share, "c1")));
        Assert.Equal("host file", File.ReadAllText(Path.Combine(data.FullName, "keep")));
        Assert.Equal("root", File.ReadAllText(Path.Combine(rootfs.FullName, "marker")));
    }
}
