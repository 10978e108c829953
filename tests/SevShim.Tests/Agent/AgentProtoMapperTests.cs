using SevShim.Agent;
using SevShim.Rootfs;
using Proto = SevAgent.Protocol.V1;

namespace SevShim.Tests.Agent;

/// <summary>The guest mounts of a container as agent.proto carries them.</summary>
public sealed class AgentProtoMapperTests
{
    [Fact]
    public void A_volume_disk_is_a_scsi_guest_mount_read_only_when_its_bind_is_and_names_a_single_file_volume()
    {
        var spec = new GuestContainerSpec("c1", "{}", GuestRootfs.Scsi(0, false), new GuestStdioFlags(false, true, true, false),
            [
                new GuestMountMapping("/big", string.Empty) { ScsiTarget = 3, ScsiReadOnly = true },
                new GuestMountMapping("/scratch", string.Empty) { ScsiTarget = 4 },
                new GuestMountMapping("/model.bin", string.Empty) { ScsiTarget = 5, ScsiReadOnly = true, ScsiFile = "volume" },
                new GuestMountMapping("/etc/config", string.Empty) { Copy = new CopiedVolume("c1.2", "/srv/config", IsFile: false) },
            ],
            []);

        var mounts = AgentProtoMapper.ToProto(spec).GuestMounts;

        Assert.Equal(new Proto.ScsiRootfs { Target = 3, Lun = 0, FsType = "ext4", Options = "ro" }, mounts[0].Scsi);
        Assert.Equal(new Proto.ScsiRootfs { Target = 4, Lun = 0, FsType = "ext4", Options = string.Empty }, mounts[1].Scsi);
        Assert.Equal(["", "", "volume"], mounts.Take(3).Select(m => m.ScsiFile));
        Assert.Equal(Proto.GuestMount.SourceOneofCase.CopiedVolume, mounts[3].SourceCase);
        Assert.Equal(["/big", "/scratch", "/model.bin", "/etc/config"], mounts.Select(m => m.Destination));
    }
}
