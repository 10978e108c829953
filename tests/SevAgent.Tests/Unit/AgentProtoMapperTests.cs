using Google.Protobuf;
using Grpc.Core;
using SevAgent.Containers;
using SevAgent.Protocol.V1;
using SevAgent.Services;

namespace SevAgent.Tests.Unit;

/// <summary>The requests into the domain's records, and the port-forward stream adapter.</summary>
public sealed class AgentProtoMapperTests
{
    [Fact]
    public void A_create_request_keeps_each_source_and_an_absent_stdio_or_rootfs_stays_absent()
    {
        var request = new CreateContainerRequest { ContainerId = "c1", OciSpecJson = "{}" };
        request.GuestMounts.Add(new GuestMount { Destination = "/a", SharedPath = "vol/a" });
        request.GuestMounts.Add(new GuestMount { Destination = "/b", Scsi = new ScsiRootfs { Target = 2, Lun = 3, FsType = "xfs" }, ScsiFile = "volume" });
        request.GuestMounts.Add(new GuestMount { Destination = "/dev/shm", PodTmpfs = new PodTmpfs { Name = "shm", SizeBytes = 64 } });
        request.GuestMounts.Add(new GuestMount { Destination = "/c", CopiedVolume = "c1.0" });
        request.GuestMounts.Add(new GuestMount { Destination = "/d", PodDirectory = "cache" });
        request.GuestMounts.Add(new GuestMount { Destination = "/e" });
        request.NamespaceJoins.Add(new NamespaceJoin { Type = "ipc", ContainerId = "pause" });

        var spec = AgentProtoMapper.ToSpec(request);

        Assert.Same(StdioSpec.None, spec.Stdio);
        Assert.Null(spec.Rootfs);
        Assert.Equal(
            [GuestMountKind.SharedPath, GuestMountKind.Scsi, GuestMountKind.PodTmpfs, GuestMountKind.CopiedVolume, GuestMountKind.PodDirectory, GuestMountKind.None],
            spec.Mounts.Select(m => m.Kind));
        Assert.Equal("vol/a", spec.Mounts[0].Name);
        Assert.Equal(new ScsiDisk(2, 3, "xfs", string.Empty), spec.Mounts[1].Scsi);
        Assert.Equal("volume", spec.Mounts[1].Name);
        Assert.Equal(new PodTmpfsSpec("shm", 64), spec.Mounts[2].Tmpfs);
        Assert.Equal(new NamespaceJoinSpec("ipc", "pause"), Assert.Single(spec.NamespaceJoins));
    }

    [Fact]
    public void A_rootfs_without_a_source_is_kept_as_one_so_the_domain_can_refuse_it()
    {
        var spec = AgentProtoMapper.ToSpec(new CreateContainerRequest { ContainerId = "c1", Rootfs = new Rootfs { Readonly = true } });
        Assert.Equal(new RootfsSpec(null, null, true), spec.Rootfs);
    }

    [Fact]
    public async Task The_forward_stream_reports_the_end_of_the_hosts_stream_as_null_not_as_an_empty_chunk()
    {
        var stream = new GrpcForwardStream(new Chunks([new ForwardChunk { Data = ByteString.CopyFromUtf8("x") }]), null!);

        var first = await stream.ReadAsync(CancellationToken.None);
        var end = await stream.ReadAsync(CancellationToken.None);

        Assert.Equal("x"u8.ToArray(), first!.Value.ToArray());
        Assert.Null(end);
    }

    private sealed class Chunks(List<ForwardChunk> items) : IAsyncStreamReader<ForwardChunk>
    {
        private int _next = -1;

        public ForwardChunk Current => items[_next];

        public Task<bool> MoveNext(CancellationToken cancellationToken) => Task.FromResult(++_next < items.Count);
    }
}
