using Google.Protobuf;
using Microsoft.Extensions.Logging.Abstractions;
using SevAgent.Containers;
using SevAgent.Errors;
using SevAgent.Hosting;
using SevAgent.Protocol.V1;
using SevAgent.Services;

namespace SevAgent.Tests.Unit;

/// <summary>The guest side of copied volumes (rootfs mode "block"): content, kubelet's "..data" swap, removal, and paths from the untrusted host.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class VolumeCopiesTests : IDisposable
{
    private readonly string _state = Directory.CreateTempSubdirectory("sevagent-vol-").FullName;
    private readonly VolumeCopies _copies;

    public VolumeCopiesTests() =>
        _copies = new VolumeCopies(AgentOptions.Parse(["--state-dir", _state]), NullLogger<VolumeCopies>.Instance);

    public void Dispose()
    {
        _copies.Dispose();
        Directory.Delete(_state, recursive: true);
    }

    [Fact]
    public async Task AKubeletVolumeIsCopiedAndItsDataSwapReplacesTheOldSet()
    {
        await _copies.SyncAsync(AgentProtoMapper.ToSpec(Kubelet("c1.0", "..2026_a", "v1")), CancellationToken.None);
        var tree = _copies.Resolve("c1.0", "test");
        Assert.Equal("v1", File.ReadAllText(Path.Combine(tree, "key")));
        Assert.Equal("..2026_a", new FileInfo(Path.Combine(tree, "..data")).LinkTarget);
        Assert.Equal(Convert.ToInt32("640", 8), (int)File.GetUnixFileMode(Path.Combine(tree, "..2026_a", "key")));

        await _copies.SyncAsync(AgentProtoMapper.ToSpec(Kubelet("c1.0", "..2026_b", "v2")), CancellationToken.None);
        Assert.Equal("v2", File.ReadAllText(Path.Combine(tree, "key")));
        Assert.False(Directory.Exists(Path.Combine(tree, "..2026_a")), "the old timestamped folder was left");
        Assert.Equal(["..2026_b", "..data", "key"], Directory.EnumerateFileSystemEntries(tree).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task ASingleFileIsRewrittenInPlaceSoABindMountOfItSeesTheChange()
    {
        await _copies.SyncAsync(AgentProtoMapper.ToSpec(File1("c1.1", "nameserver 10.0.0.10\n")), CancellationToken.None);
        var path = _copies.Resolve("c1.1", "test");
        using var held = File.OpenRead(path);
        await _copies.SyncAsync(AgentProtoMapper.ToSpec(File1("c1.1", "nameserver 10.0.0.11\n")), CancellationToken.None);
        using var reader = new StreamReader(held);
        Assert.Equal("nameserver 10.0.0.11\n", reader.ReadToEnd());
    }

    [Theory]
    [InlineData("../escape")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    [InlineData("./a")]
    public async Task APathThatIsNotPlainIsRefused(string path)
    {
        var request = new SyncVolumeRequest { Name = "c1.2" };
        request.Entries.Add(new VolumeEntry { Path = path, Kind = VolumeEntryKind.File, Mode = 420, Content = ByteString.CopyFromUtf8("x") });
        var e = await Assert.ThrowsAsync<AgentException>(() => _copies.SyncAsync(AgentProtoMapper.ToSpec(request), CancellationToken.None));
        Assert.Equal(AgentErrorKind.InvalidArgument, e.Kind);
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NothingIsWrittenThroughASymlinkTheHostSent()
    {
        var outside = Directory.CreateDirectory(Path.Combine(_state, "outside")).FullName;
        var request = new SyncVolumeRequest { Name = "c1.3" };
        request.Entries.Add(new VolumeEntry { Path = "link", Kind = VolumeEntryKind.Symlink, LinkTarget = outside });
        request.Entries.Add(new VolumeEntry { Path = "link/owned", Kind = VolumeEntryKind.File, Mode = 420, Content = ByteString.CopyFromUtf8("x") });
        var e = await Assert.ThrowsAsync<AgentException>(() => _copies.SyncAsync(AgentProtoMapper.ToSpec(request), CancellationToken.None));
        Assert.Equal(AgentErrorKind.InvalidArgument, e.Kind);
        Assert.Empty(Directory.EnumerateFileSystemEntries(outside));
    }

    [Fact]
    public async Task ForgetRemovesOnlyThatContainersCopies()
    {
        await _copies.SyncAsync(AgentProtoMapper.ToSpec(File1("c1.0", "a")), CancellationToken.None);
        await _copies.SyncAsync(AgentProtoMapper.ToSpec(File1("c10.0", "b")), CancellationToken.None);
        _copies.Forget("c1");
        Assert.Throws<AgentException>(() => _copies.Resolve("c1.0", "test"));
        Assert.Equal("b", File.ReadAllText(_copies.Resolve("c10.0", "test")));
    }

    private static SyncVolumeRequest Kubelet(string name, string stamp, string value)
    {
        var request = new SyncVolumeRequest { Name = name };
        request.Entries.Add(new VolumeEntry { Path = stamp, Kind = VolumeEntryKind.Directory, Mode = Convert.ToUInt32("755", 8) });
        request.Entries.Add(new VolumeEntry { Path = stamp + "/key", Kind = VolumeEntryKind.File, Mode = Convert.ToUInt32("640", 8), Content = ByteString.CopyFromUtf8(value) });
        request.Entries.Add(new VolumeEntry { Path = "..data", Kind = VolumeEntryKind.Symlink, LinkTarget = stamp });
        request.Entries.Add(new VolumeEntry { Path = "key", Kind = VolumeEntryKind.Symlink, LinkTarget = "..data/key" });
        return request;
    }

    private static SyncVolumeRequest File1(string name, string content)
    {
        var request = new SyncVolumeRequest { Name = name, SingleFile = true };
        request.Entries.Add(new VolumeEntry { Kind = VolumeEntryKind.File, Mode = 420, Content = ByteString.CopyFromUtf8(content) });
        return request;
    }
}
