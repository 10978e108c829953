using Google.Protobuf.WellKnownTypes;
using SevAgent.Containers;
using SevAgent.Guest;
using SevAgent.Network;
using SevAgent.Protocol.V1;
using SevAgent.Stats;

namespace SevAgent.Services;

/// <summary>
/// agent.proto's requests into the agent's domain records and domain results into its replies:
/// the only place besides <see cref="AgentService"/> that reads or builds the generated messages.
/// It checks nothing (the domain does, and names the proto field at fault in its messages).
/// </summary>
internal static class AgentProtoMapper
{
    public static ContainerCreateSpec ToSpec(CreateContainerRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ContainerCreateSpec(
            request.ContainerId,
            request.OciSpecJson,
            ToSpec(request.Stdio),
            request.Rootfs is { } rootfs ? ToSpec(rootfs) : null,
            [.. request.GuestMounts.Select(ToSpec)],
            [.. request.NamespaceJoins.Select(j => new NamespaceJoinSpec(j.Type, j.ContainerId))]);
    }

    public static ExecSpec ToSpec(ExecProcessRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new ExecSpec(request.ContainerId, request.ExecId, request.ProcessJson, ToSpec(request.Stdio));
    }

    public static SignalTarget ToTarget(SignalProcessRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new SignalTarget(request.ContainerId, request.ExecId, request.Signal, request.All);
    }

    public static VolumeSyncSpec ToSpec(SyncVolumeRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        // The proto enum's values are the domain's (VolumeEntryType); an unknown one stays its
        // number, which VolumeCopies refuses naming it.
        return new VolumeSyncSpec(
            request.Name,
            request.SingleFile,
            [.. request.Entries.Select(e => new VolumeEntrySpec(e.Path, (VolumeEntryType)(int)e.Kind, e.Mode, e.Content.Memory, e.LinkTarget))]);
    }

    public static NetworkSpec ToSpec(ConfigureNetworkRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        return new NetworkSpec(
            [.. request.Interfaces.Select(i => new InterfaceSpec(
                i.Name, i.HardwareAddress.ToByteArray(), i.Mtu, [.. i.Addresses.Select(a => new AddressSpec(a.Address.ToByteArray(), a.PrefixLength))]))],
            [.. request.Routes.Select(r => new RouteSpec(
                r.Ipv6, r.Destination.ToByteArray(), r.PrefixLength, r.Gateway.ToByteArray(), r.Device, r.Scope, r.Metric, r.Source.ToByteArray(), r.Mtu))]);
    }

    public static WaitProcessResponse ToResponse(ExitInfo exit, int pid)
    {
        ArgumentNullException.ThrowIfNull(exit);
        return new WaitProcessResponse { ExitStatus = (uint)exit.ExitStatus, ExitedAt = Timestamp.FromDateTimeOffset(exit.ExitedAt), Pid = pid };
    }

    public static ContainerStats ToStats(CgroupStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var m = stats.Memory;
        var reply = new ContainerStats
        {
            CgroupPath = stats.CgroupPath,
            Cpu = new CpuStats
            {
                UsageUsec = stats.Cpu.UsageUsec, UserUsec = stats.Cpu.UserUsec, SystemUsec = stats.Cpu.SystemUsec,
                NrPeriods = stats.Cpu.NrPeriods, NrThrottled = stats.Cpu.NrThrottled, ThrottledUsec = stats.Cpu.ThrottledUsec,
            },
            Memory = new MemoryStats
            {
                UsageBytes = m.UsageBytes, LimitBytes = m.LimitBytes, MaxUsageBytes = m.MaxUsageBytes, SwapUsageBytes = m.SwapUsageBytes,
                EventsLow = m.EventsLow, EventsHigh = m.EventsHigh, EventsMax = m.EventsMax, EventsOom = m.EventsOom, EventsOomKill = m.EventsOomKill,
            },
            Pids = new PidsStats { Current = stats.Pids.Current, Limit = stats.Pids.Limit },
            Io = new IoStats(),
        };
        reply.Memory.Stat.Add(m.Stat);
        reply.Io.Devices.AddRange(stats.Io.Devices.Select(d => new IoDeviceStats
        {
            Major = d.Major, Minor = d.Minor, Rbytes = d.Rbytes, Wbytes = d.Wbytes, Rios = d.Rios, Wios = d.Wios, Dbytes = d.Dbytes, Dios = d.Dios,
        }));
        reply.Missing.AddRange(stats.Missing);
        return reply;
    }

    public static GuestInfo ToGuestInfo(GuestFacts facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var sev = facts.Sev;
        var info = new GuestInfo
        {
            KernelRelease = facts.KernelRelease,
            KernelVersion = facts.KernelVersion,
            MemoryTotalBytes = facts.MemoryTotalBytes,
            MemoryAvailableBytes = facts.MemoryAvailableBytes,
            Cpus = facts.Cpus,
            AgentVersion = facts.AgentVersion,
            Sev = new SevStatus
            {
                State = sev.Known ? SevStatus.Types.State.Known : SevStatus.Types.State.Unknown,
                Sev = sev.Sev,
                SevEs = sev.SevEs,
                Snp = sev.Snp,
                MsrValue = sev.MsrValue,
                Reason = sev.Reason,
                KernelMessage = sev.KernelMessage,
            },
            KernelCommandLine = facts.KernelCommandLine,
            AgentPid = facts.AgentPid,
            CgroupV2 = facts.CgroupV2,
        };
        info.CgroupControllers.AddRange(facts.CgroupControllers);
        return info;
    }

    public static OomEvent ToEvent(OomKill oom)
    {
        ArgumentNullException.ThrowIfNull(oom);
        return new OomEvent { ContainerId = oom.ContainerId, OomKillCount = oom.OomKillCount, ObservedAt = Timestamp.FromDateTimeOffset(oom.ObservedAt) };
    }

    public static ListenerSet ToListenerSet(IReadOnlyList<(uint Port, bool Ipv6)> listeners)
    {
        ArgumentNullException.ThrowIfNull(listeners);
        var set = new ListenerSet();
        set.Listeners.AddRange(listeners.Select(l => new Listener { Port = l.Port, Ipv6 = l.Ipv6 }));
        return set;
    }

    // A request without stdio gets none (proto3 leaves an absent message null).
    private static StdioSpec ToSpec(Stdio? stdio) =>
        stdio is null ? StdioSpec.None : new StdioSpec(stdio.Stdin, stdio.Stdout, stdio.Stderr, stdio.Terminal);

    private static RootfsSpec ToSpec(Rootfs rootfs) => rootfs.SourceCase switch
    {
        Rootfs.SourceOneofCase.Shared => new RootfsSpec(rootfs.Shared.Path, null, rootfs.Readonly),
        Rootfs.SourceOneofCase.Scsi => new RootfsSpec(null, ToDisk(rootfs.Scsi), rootfs.Readonly),
        _ => new RootfsSpec(null, null, rootfs.Readonly),
    };

    private static GuestMountSpec ToSpec(GuestMount mount) => mount.SourceCase switch
    {
        GuestMount.SourceOneofCase.SharedPath => new GuestMountSpec(mount.Destination, GuestMountKind.SharedPath, mount.SharedPath),
        GuestMount.SourceOneofCase.Scsi => new GuestMountSpec(mount.Destination, GuestMountKind.Scsi, mount.ScsiFile, Scsi: ToDisk(mount.Scsi)),
        GuestMount.SourceOneofCase.PodTmpfs => new GuestMountSpec(
            mount.Destination, GuestMountKind.PodTmpfs, mount.PodTmpfs.Name, Tmpfs: new PodTmpfsSpec(mount.PodTmpfs.Name, mount.PodTmpfs.SizeBytes)),
        GuestMount.SourceOneofCase.CopiedVolume => new GuestMountSpec(mount.Destination, GuestMountKind.CopiedVolume, mount.CopiedVolume),
        GuestMount.SourceOneofCase.PodDirectory => new GuestMountSpec(mount.Destination, GuestMountKind.PodDirectory, mount.PodDirectory),
        _ => new GuestMountSpec(mount.Destination, GuestMountKind.None, string.Empty),
    };

    private static ScsiDisk ToDisk(ScsiRootfs disk) => new(disk.Target, disk.Lun, disk.FsType, disk.Options);
}
