using Google.Protobuf;
using SevShim.Rootfs;
using Proto = SevAgent.Protocol.V1;

namespace SevShim.Agent;

/// <summary>
/// The shim's domain records to agent.proto's messages and back (with <see cref="StatsMapper"/>
/// and <see cref="NetworkRequest"/>): the one place besides <see cref="GuestAgent"/> that knows
/// the agent contract's types. What the guest answers is data, not trusted: mapped field by
/// field, nothing of it used as a host path.
/// </summary>
internal static class AgentProtoMapper
{
    /// <summary>CreateContainerRequest for <paramref name="spec"/>.</summary>
    public static Proto.CreateContainerRequest ToProto(GuestContainerSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var request = new Proto.CreateContainerRequest
        {
            ContainerId = spec.ContainerId,
            OciSpecJson = spec.OciSpecJson,
            Rootfs = ToProto(spec.Rootfs),
            Stdio = ToProto(spec.Stdio),
        };
        request.GuestMounts.AddRange(spec.Mounts.Select(ToProto));
        request.NamespaceJoins.AddRange(spec.NamespaceJoins.Select(j => new Proto.NamespaceJoin { Type = j.Type, ContainerId = j.ContainerId }));
        return request;
    }

    /// <summary>ExecProcessRequest for <paramref name="spec"/>.</summary>
    public static Proto.ExecProcessRequest ToProto(GuestExecSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new Proto.ExecProcessRequest
        {
            ContainerId = spec.Process.ContainerId,
            ExecId = spec.Process.ExecId,
            ProcessJson = spec.ProcessJson,
            Stdio = ToProto(spec.Stdio),
        };
    }

    /// <summary>SyncVolumeRequest carrying a volume's whole content.</summary>
    public static Proto.SyncVolumeRequest ToProto(CopiedVolume volume, IReadOnlyList<VolumeEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(volume);
        ArgumentNullException.ThrowIfNull(entries);
        var request = new Proto.SyncVolumeRequest { Name = volume.Name, SingleFile = volume.IsFile };
        request.Entries.AddRange(entries.Select(e => new Proto.VolumeEntry
        {
            Path = e.Path,
            Kind = e.Kind switch
            {
                VolumeEntryKind.Directory => Proto.VolumeEntryKind.Directory,
                VolumeEntryKind.Symlink => Proto.VolumeEntryKind.Symlink,
                _ => Proto.VolumeEntryKind.File,
            },
            Mode = e.Mode,
            Content = ByteString.CopyFrom(e.Content.Span),
            LinkTarget = e.LinkTarget,
        }));
        return request;
    }

    /// <summary>The guest description; a missing SEV status stays null (the verifier says so).</summary>
    public static GuestInfo FromProto(Proto.GuestInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var sev = info.Sev is { } s
            ? new GuestSevStatus(s.State == Proto.SevStatus.Types.State.Known, s.MsrValue, s.Reason, s.KernelMessage, s.Sev, s.SevEs, s.Snp)
            : null;
        return new GuestInfo(info.KernelRelease, info.Cpus, info.MemoryTotalBytes, info.AgentVersion, sev);
    }

    private static Proto.Stdio ToProto(GuestStdioFlags stdio) =>
        new() { Stdin = stdio.Stdin, Stdout = stdio.Stdout, Stderr = stdio.Stderr, Terminal = stdio.Terminal };

    private static Proto.Rootfs ToProto(GuestRootfs rootfs) => rootfs.ScsiTarget is { } target
        ? new Proto.Rootfs { Scsi = new Proto.ScsiRootfs { Target = target, Lun = 0, FsType = "ext4" }, Readonly = rootfs.ReadOnly }
        : new Proto.Rootfs { Shared = new Proto.SharedRootfs { Path = rootfs.SharedPath ?? string.Empty }, Readonly = rootfs.ReadOnly };

    private static Proto.GuestMount ToProto(GuestMountMapping m) => m switch
    {
        { PodTmpfs: { } name } => new Proto.GuestMount { Destination = m.Destination, PodTmpfs = new Proto.PodTmpfs { Name = name, SizeBytes = m.PodTmpfsBytes } },
        { Copy: { } copy } => new Proto.GuestMount { Destination = m.Destination, CopiedVolume = copy.Name },
        { PodDirectory: { } dir } => new Proto.GuestMount { Destination = m.Destination, PodDirectory = dir },
        { ScsiTarget: { } target } => new Proto.GuestMount
        {
            Destination = m.Destination,
            Scsi = new Proto.ScsiRootfs { Target = target, Lun = 0, FsType = "ext4", Options = m.ScsiReadOnly ? "ro" : string.Empty },
            ScsiFile = m.ScsiFile ?? string.Empty,
        },
        _ => new Proto.GuestMount { Destination = m.Destination, SharedPath = m.SharedPath },
    };
}
