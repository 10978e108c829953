using System.Text.Json.Nodes;
using SevShim.Errors;
using SevShim.Rootfs;
using SevShim.Sandbox;

using SevRuntime.Posix;

namespace SevShim.Tests.Rootfs;

public sealed class MountPlannerTests
{
    private const string Share = "/run/sevshim/pod1/share";

    private const string Spec = """
        {
          "ociVersion": "1.0.2",
          "process": { "args": ["sh"], "cwd": "/" },
          "root": { "path": "rootfs", "readonly": true },
          "mounts": [
            { "destination": "/proc", "type": "proc", "source": "proc" },
            { "destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "ro"] },
            { "destination": "/etc/hosts", "type": "bind", "source": "/var/lib/x/hosts", "options": ["bind", "rw"] },
            { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid"] }
          ]
        }
        """;

    private static readonly RootfsMount Overlay = new(
        "overlay", "overlay", string.Empty, ["index=off", "workdir=/snap/2/work", "upperdir=/snap/2/fs", "lowerdir=/snap/1/fs", "ro"]);

    private static ContainerCreateRequest Request(string spec = Spec, IReadOnlyList<RootfsMount>? rootfs = null, string id = "c1") =>
        new(id, "/run/containerd/bundle/c1", spec, rootfs ?? [], StdioPaths.None);

    private static HostPathKind DataIsAFolder(string path) => path == "/srv/data" ? HostPathKind.Directory : HostPathKind.File;

    [Theory]
    [InlineData(nameof(HostPathKind.Socket), "unix socket")]
    [InlineData(nameof(HostPathKind.CharDevice), "character device")]
    [InlineData(nameof(HostPathKind.BlockDevice), "block device")]
    [InlineData(nameof(HostPathKind.Fifo), "FIFO")]
    public void A_socket_device_or_fifo_volume_is_refused_naming_the_volume(string kindName, string named)
    {
        var kind = Enum.Parse<HostPathKind>(kindName);
        const string spec = """
            {
              "root": { "path": "rootfs" },
              "mounts": [ { "destination": "/var/run/docker.sock", "type": "bind", "source": "/run/docker.sock", "options": ["rbind", "rw"] } ]
            }
            """;

        var ex = Assert.Throws<ShimException>(() => MountPlanner.Plan(Request(spec, [Overlay]), Share, _ => kind));

        Assert.Equal(ShimErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("/var/run/docker.sock", ex.Message, StringComparison.Ordinal);
        Assert.Contains("/run/docker.sock", ex.Message, StringComparison.Ordinal);
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.Contains("runc", ex.Message, StringComparison.Ordinal);
    }

    // Fuzz finding (OciSpecFuzz, CI at 8cc6477): a NUL in root.path reached Path.GetFullPath,
    // whose ArgumentException became an Internal error instead of the caller's InvalidArgument.
    [Theory]
    [InlineData("""{ "root": { "path": "rootf\u0000" } }""", false, "root.path")]
    [InlineData("""{ "root": { "path": "/x\u0000/rootfs" } }""", false, "root.path")]
    [InlineData("""{ "root": { "path": "rootfs" }, "mounts": [ { "destination": "/d", "type": "bind", "source": "/srv\u0000", "options": ["rbind"] } ] }""", true, "bind mount source")]
    public void A_nul_in_a_path_is_refused_naming_the_path(string spec, bool overlay, string named)
    {
        var ex = Assert.Throws<ShimException>(() => MountPlanner.Plan(Request(spec, overlay ? [Overlay] : []), Share, _ => HostPathKind.Directory));

        Assert.Equal(ShimErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains(named, ex.Message, StringComparison.Ordinal);
        Assert.Contains("NUL", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_nul_in_a_rootfs_mount_target_is_refused()
    {
        var ex = Assert.Throws<ShimException>(() => MountPlanner.Plan(
            Request(rootfs: [new RootfsMount("bind", "/snap/1/fs", "sub\0dir", ["rbind"])]), Share, DataIsAFolder));

        Assert.Equal(ShimErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("NUL", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void HostFileSystem_tells_a_socket_from_a_file_and_a_folder()
    {
        var dir = Directory.CreateTempSubdirectory("sevshim-kind-");
        try
        {
            var file = Path.Combine(dir.FullName, "f");
            File.WriteAllText(file, "x");
            var sock = Path.Combine(dir.FullName, "s");
            using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
            listener.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(sock));

            Assert.Equal(HostPathKind.Directory, HostFileSystem.KindOf(dir.FullName));
            Assert.Equal(HostPathKind.File, HostFileSystem.KindOf(file));
            Assert.Equal(HostPathKind.Socket, HostFileSystem.KindOf(sock));
            Assert.Equal(HostPathKind.CharDevice, HostFileSystem.KindOf("/dev/null"));
            Assert.Equal(HostPathKind.Missing, HostFileSystem.KindOf(Path.Combine(dir.FullName, "absent")));
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void OverlayRootfsGoesUnderTheShareWithNosuidNodev()
    {
        var plan = MountPlanner.Plan(Request(rootfs: [Overlay]), Share, DataIsAFolder);
        var root = plan.Mounts[0];
        Assert.Equal("overlay", root.FsType);
        Assert.Equal(Share + "/c1/rootfs", root.Target);
        Assert.Equal("index=off,workdir=/snap/2/work,upperdir=/snap/2/fs,lowerdir=/snap/1/fs", root.Data);
        Assert.Equal(Posix.MS_RDONLY | Posix.MS_NOSUID | Posix.MS_NODEV, root.Flags);
        Assert.Equal("c1/rootfs", plan.RootfsSharedPath);
        Assert.True(plan.RootfsReadOnly);
    }

    [Fact]
    public void BindMountsAreSharedReadOnlyOrReadWriteAsAsked()
    {
        var plan = MountPlanner.Plan(Request(rootfs: [Overlay]), Share, DataIsAFolder);
        var data = plan.Mounts.Single(m => m.Source == "/srv/data");
        Assert.True(data.ReadOnly);
        Assert.False(data.TargetIsFile);
        Assert.Equal(Posix.MS_BIND | Posix.MS_REC, data.Flags);
        Assert.Equal(Share + "/c1/mounts/0", data.Target);
        var hosts = plan.Mounts.Single(m => m.Source == "/var/lib/x/hosts");
        Assert.False(hosts.ReadOnly);
        Assert.True(hosts.TargetIsFile);
        Assert.Equal(Posix.MS_BIND, hosts.Flags);
        Assert.Equal(
            [new GuestMountMapping("/data", "c1/mounts/0"), new GuestMountMapping("/etc/hosts", "c1/mounts/1")],
            plan.GuestMounts);
    }

    [Fact]
    public void GuestSpecCarriesNoHostPath()
    {
        var plan = MountPlanner.Plan(Request(rootfs: [Overlay]), Share, _ => HostPathKind.Directory);
        var spec = JsonNode.Parse(plan.GuestSpecJson)!;
        Assert.Equal("c1/rootfs", spec["root"]!["path"]!.GetValue<string>());
        Assert.True(spec["root"]!["readonly"]!.GetValue<bool>());
        var sources = spec["mounts"]!.AsArray().Select(m => m!["source"]!.GetValue<string>()).ToList();
        Assert.Equal(["proc", "c1/mounts/0", "c1/mounts/1", "tmpfs"], sources);
        Assert.DoesNotContain("/srv", plan.GuestSpecJson, StringComparison.Ordinal);
        Assert.DoesNotContain("/var/lib", plan.GuestSpecJson, StringComparison.Ordinal);
        Assert.DoesNotContain("/run/containerd", plan.GuestSpecJson, StringComparison.Ordinal);
    }

    [Fact]
    public void WithoutRootfsMountsTheBundleRootIsBound()
    {
        var plan = MountPlanner.Plan(Request(), Share, _ => HostPathKind.Directory);
        var root = plan.Mounts[0];
        Assert.Null(root.FsType);
        Assert.Equal("/run/containerd/bundle/c1/rootfs", root.Source);
        Assert.Equal(Share + "/c1/rootfs", root.Target);
    }

    [Theory]
    [InlineData("../../etc")]
    [InlineData("a/../../..")]
    public void RootfsTargetEscapingTheRootIsRefused(string target)
    {
        var mount = new RootfsMount("bind", "/srv/x", target, ["rbind"]);
        var ex = Assert.Throws<ShimException>(() => MountPlanner.Plan(Request(rootfs: [Overlay, mount]), Share, _ => HostPathKind.Directory));
        Assert.Equal(ShimErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("escapes", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void RelativeBindSourceIsRefused()
    {
        const string spec = """{"process":{"args":["sh"]},"root":{"path":"rootfs"},"mounts":[{"destination":"/x","type":"bind","source":"../../etc","options":["rbind"]}]}""";
        var ex = Assert.Throws<ShimException>(() => MountPlanner.Plan(Request(spec), Share, _ => HostPathKind.Directory));
        Assert.Equal(ShimErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("not an absolute host path", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("../c1")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("")]
    public void ContainerIdsThatAreNotOneFolderNameAreRefused(string id)
    {
        var ex = Assert.Throws<ShimException>(() => MountPlanner.Plan(Request(id: id), Share, _ => HostPathKind.Directory));
        Assert.Equal(ShimErrorKind.InvalidArgument, ex.Kind);
    }

    [Fact]
    public void InvalidSpecJsonIsNamed()
    {
        var ex = Assert.Throws<ShimException>(() => MountPlanner.Plan(Request("{not json"), Share, _ => HostPathKind.Directory));
        Assert.Contains("not valid JSON", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(128UL << 20, 128UL << 20)]
    [InlineData(0UL, MountPlanner.DefaultShmBytes)]
    public void A_bind_onto_dev_shm_becomes_the_pods_guest_tmpfs_of_the_host_ones_size(ulong hostBytes, ulong expected)
    {
        const string cri = """
            {
              "process": { "args": ["pause"] },
              "root": { "path": "rootfs" },
              "mounts": [
                { "destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid"] },
                { "destination": "/dev/shm", "type": "bind", "source": "/run/containerd/cri/sandboxes/p1/shm", "options": ["rbind", "ro"] }
              ]
            }
            """;
        var plan = MountPlanner.Plan(Request(cri, [Overlay]), Share, _ => HostPathKind.Directory, _ => hostBytes);

        Assert.DoesNotContain(plan.Mounts, m => m.Source.Contains("shm", StringComparison.Ordinal));
        var shm = Assert.Single(plan.GuestMounts);
        Assert.Equal("/dev/shm", shm.Destination);
        Assert.Equal(MountPlanner.PodShmName, shm.PodTmpfs);
        Assert.Equal(expected, shm.PodTmpfsBytes);
        Assert.DoesNotContain("/run/containerd", plan.GuestSpecJson, StringComparison.Ordinal);
    }

    [Fact]
    public void In_block_mode_no_bind_source_is_shared_each_becomes_a_guest_copy()
    {
        var plan = MountPlanner.Plan(Request(rootfs: [Overlay]), Share, DataIsAFolder, copyVolumes: true);

        // Only the rootfs overlay is mounted on the host (it becomes the ext4 image); no bind.
        Assert.DoesNotContain(plan.Mounts, m => m.Source is "/srv/data" or "/var/lib/x/hosts");
        Assert.Collection(
            plan.GuestMounts,
            // "ro" in the bind's options: a disk image of it would be mounted read-only.
            data => Assert.Equal(new CopiedVolume("c1.0", "/srv/data", IsFile: false) { ReadOnly = true }, data.Copy),
            hosts => Assert.Equal(new CopiedVolume("c1.1", "/var/lib/x/hosts", IsFile: true), hosts.Copy));
        Assert.DoesNotContain("/srv/data", plan.GuestSpecJson, StringComparison.Ordinal);
        Assert.DoesNotContain("/var/lib/x", plan.GuestSpecJson, StringComparison.Ordinal);
    }

    [Fact]
    public void In_block_mode_an_empty_dir_is_one_guest_directory_for_every_container_of_the_pod()
    {
        const string spec = """
            {
              "root": { "path": "rootfs" },
              "mounts": [ { "destination": "/cache", "type": "bind", "source": "/var/lib/kubelet/pods/u1/volumes/kubernetes.io~empty-dir/cache", "options": ["rbind", "rw"] } ]
            }
            """;
        var first = MountPlanner.Plan(Request(spec, [Overlay], "c1"), Share, _ => HostPathKind.Directory, copyVolumes: true);
        var second = MountPlanner.Plan(Request(spec, [Overlay], "c2"), Share, _ => HostPathKind.Directory, copyVolumes: true);

        var dir = Assert.Single(first.GuestMounts).PodDirectory;
        Assert.NotNull(dir);
        Assert.StartsWith("emptydir-", dir, StringComparison.Ordinal);
        Assert.Equal(dir, Assert.Single(second.GuestMounts).PodDirectory);
        Assert.Null(first.GuestMounts[0].Copy);
    }

    [Fact]
    public void In_block_mode_a_missing_bind_source_is_refused_naming_it()
    {
        var ex = Assert.Throws<ShimException>(() => MountPlanner.Plan(Request(rootfs: [Overlay]), Share, _ => HostPathKind.Missing, copyVolumes: true));
        Assert.Equal(ShimErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("/srv/data", ex.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", ex.Message, StringComparison.Ordinal);
    }

    // Fuzz findings (Fuzz.Tests OciSpecFuzz): a lone surrogate escape made JsonNode throw
    // InvalidOperationException while the spec was rewritten, and a name set twice made JsonObject
    // throw ArgumentException: neither was the InvalidArgument ShimException naming the container.
    [Theory]
    [InlineData("""{"root":{"path":"rootfs"},"hostname":"\ud800"}""", "unpaired UTF-16 surrogate")]
    [InlineData("""{"root":{"path":"rootfs"},"\udc00":1}""", "unpaired UTF-16 surrogate")]
    [InlineData("""{"root":{"path":"rootfs"},"mounts":[],"mounts":[]}""", "sets \"mounts\" twice")]
    [InlineData("""{"root":{"path":"rootfs","path":"other"}}""", "sets \"path\" twice")]
    public void SpecTextThatJsonNodeCannotHoldIsInvalidArgument(string spec, string message)
    {
        var ex = Assert.Throws<ShimException>(() => MountPlanner.Plan(Request(spec), Share, _ => HostPathKind.Directory));
        Assert.Equal(ShimErrorKind.InvalidArgument, ex.Kind);
        Assert.Contains("c1", ex.Message, StringComparison.Ordinal);
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
    }
}
