using Google.Protobuf.WellKnownTypes;
using SevShim.Errors;
using SevShim.Protos.Cgroups.V2;
using SevShim.Protos.Containerd.TaskV2;
using SevShim.Protos.Containerd.V1Types;
using SevShim.Sandbox;
using Ttrpc;
using RuntimeOptions = SevShim.Protos.Containerd.RuntimeOptions.Options;

namespace SevShim.Tasks;

/// <summary>
/// Conversions between containerd's task API messages and the task service's domain types.
/// Any handling follows SHIM-PROTOCOL.md 3.4: type URLs are compared as strings, never through
/// Google.Protobuf's Any.Unpack (which does not recognise containerd's bare URLs).
/// </summary>
internal static class TaskProtoMapper
{
    /// <summary>Bare type URL of runtimeoptions.v1.Options (SHIM-PROTOCOL.md 6).</summary>
    public const string RuntimeOptionsTypeName = "runtimeoptions.v1.Options";

    /// <summary>Type URL of the exec spec: JSON of an OCI Process (SHIM-PROTOCOL.md 2.3).</summary>
    public const string ProcessSpecTypeUrl = "types.containerd.io/opencontainers/runtime-spec/1/Process";

    /// <summary>Type URL of Update's resources: JSON of OCI LinuxResources.</summary>
    public const string LinuxResourcesTypeUrl = "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources";

    /// <summary>CreateTaskRequest to its command; the options' ConfigPath is kept when they are runtimeoptions.v1.Options.</summary>
    public static CreateTaskCommand ToCommand(CreateTaskRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var rootfs = request.Rootfs
            .Select(m => new RootfsMount(m.Type, m.Source, m.Target, m.Options.ToArray()))
            .ToArray();
        return new CreateTaskCommand(
            request.Id,
            request.Bundle,
            rootfs,
            new StdioPaths(request.Stdin, request.Stdout, request.Stderr, request.Terminal),
            request.Checkpoint,
            RuntimeConfigPath(request.Options, request.Id));
    }

    /// <summary>ExecProcessRequest to its command; the spec must be an OCI Process in JSON.</summary>
    public static ExecProcessCommand ToCommand(ExecProcessRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var spec = request.Spec;
        if (spec is null || spec.Value.IsEmpty)
        {
            throw new ShimException(
                ShimErrorKind.InvalidArgument,
                $"sevshim: exec {request.ExecId} of task {request.Id} has no process spec; send an OCI Process as {ProcessSpecTypeUrl}");
        }

        if (!spec.TypeUrl.EndsWith("opencontainers/runtime-spec/1/Process", StringComparison.Ordinal))
        {
            throw new ShimException(
                ShimErrorKind.InvalidArgument,
                $"sevshim: exec {request.ExecId} of task {request.Id} has a spec of type '{spec.TypeUrl}'; {ProcessSpecTypeUrl} (JSON) is required");
        }

        return new ExecProcessCommand(
            request.Id,
            request.ExecId,
            new StdioPaths(request.Stdin, request.Stdout, request.Stderr, request.Terminal),
            spec.Value.ToStringUtf8());
    }

    /// <summary>Update's resources as JSON text (empty when none were sent).</summary>
    public static string ResourcesJson(UpdateTaskRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Resources is not { } resources || resources.Value.IsEmpty)
        {
            return string.Empty;
        }

        if (!resources.TypeUrl.EndsWith("opencontainers/runtime-spec/1/LinuxResources", StringComparison.Ordinal))
        {
            throw new ShimException(
                ShimErrorKind.InvalidArgument,
                $"sevshim: update of task {request.Id} carries resources of type '{resources.TypeUrl}'; {LinuxResourcesTypeUrl} (JSON) is required");
        }

        return resources.Value.ToStringUtf8();
    }

    /// <summary>The domain state to containerd's Status.</summary>
    public static Status ToStatus(ProcessState state) => state switch
    {
        ProcessState.Created => Status.Created,
        ProcessState.Running => Status.Running,
        ProcessState.Pausing => Status.Pausing,
        ProcessState.Paused => Status.Paused,
        ProcessState.Stopped => Status.Stopped,
        _ => Status.Unknown,
    };

    /// <summary>State's answer.</summary>
    public static StateResponse ToResponse(ProcessStatus status)
    {
        ArgumentNullException.ThrowIfNull(status);
        return new StateResponse
        {
            Id = status.ContainerId,
            ExecId = status.ExecId,
            Bundle = status.Bundle,
            Pid = status.Pid,
            Status = ToStatus(status.State),
            Stdin = status.Stdio.Stdin,
            Stdout = status.Stdio.Stdout,
            Stderr = status.Stdio.Stderr,
            Terminal = status.Stdio.Terminal,
            ExitStatus = status.ExitStatus,
            ExitedAt = ToTimestamp(status.ExitedAt),
        };
    }

    /// <summary>Delete's answer.</summary>
    public static DeleteResponse ToDeleteResponse(ExitResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new DeleteResponse { Pid = result.Pid, ExitStatus = result.ExitStatus, ExitedAt = ToTimestamp(result.ExitedAt) };
    }

    /// <summary>Wait's answer.</summary>
    public static WaitResponse ToWaitResponse(ExitResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new WaitResponse { ExitStatus = result.ExitStatus, ExitedAt = ToTimestamp(result.ExitedAt) };
    }

    /// <summary>Stats' answer: io.containerd.cgroups.v2.Metrics with its bare type URL.</summary>
    public static StatsResponse ToStatsResponse(ContainerStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        return new StatsResponse { Stats = TypeUrls.Pack(ToMetrics(stats)) };
    }

    /// <summary>The domain counters as cgroups v2 Metrics.</summary>
    public static Metrics ToMetrics(ContainerStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        var metrics = new Metrics();
        if (stats.Pids is { } pids)
        {
            metrics.Pids = new PidsStat { Current = pids.Current, Limit = pids.Limit };
        }

        if (stats.Cpu is { } cpu)
        {
            metrics.Cpu = new CPUStat
            {
                UsageUsec = cpu.UsageUsec,
                UserUsec = cpu.UserUsec,
                SystemUsec = cpu.SystemUsec,
                NrPeriods = cpu.NrPeriods,
                NrThrottled = cpu.NrThrottled,
                ThrottledUsec = cpu.ThrottledUsec,
            };
        }

        if (stats.Memory is { } m)
        {
            metrics.Memory = new MemoryStat
            {
                Usage = m.Usage,
                UsageLimit = m.UsageLimit,
                SwapUsage = m.SwapUsage,
                SwapLimit = m.SwapLimit,
                Anon = m.Anon,
                File = m.File,
                KernelStack = m.KernelStack,
                Slab = m.Slab,
                Sock = m.Sock,
                Shmem = m.Shmem,
                InactiveFile = m.InactiveFile,
                ActiveFile = m.ActiveFile,
                Pgfault = m.PgFault,
                Pgmajfault = m.PgMajFault,
            };
        }

        if (stats.MemoryEvents is { } ev)
        {
            metrics.MemoryEvents = new MemoryEvents { Low = ev.Low, High = ev.High, Max = ev.Max, Oom = ev.Oom, OomKill = ev.OomKill };
        }

        if (stats.Io.Count > 0)
        {
            metrics.Io = new IOStat();
            metrics.Io.Usage.AddRange(stats.Io.Select(d => new IOEntry
            {
                Major = d.Major,
                Minor = d.Minor,
                Rbytes = d.ReadBytes,
                Wbytes = d.WriteBytes,
                Rios = d.ReadIos,
                Wios = d.WriteIos,
            }));
        }

        return metrics;
    }

    /// <summary>Pids' answer (ProcessInfo.info left empty, which containerd accepts).</summary>
    public static PidsResponse ToPidsResponse(IReadOnlyList<uint> pids)
    {
        ArgumentNullException.ThrowIfNull(pids);
        var response = new PidsResponse();
        response.Processes.AddRange(pids.Select(p => new ProcessInfo { Pid = p }));
        return response;
    }

    private static string? RuntimeConfigPath(Any? options, string id)
    {
        if (options is null || options.TypeUrl.Length == 0
            || !string.Equals(TypeUrls.GetTypeName(options), RuntimeOptionsTypeName, StringComparison.Ordinal))
        {
            // Other option types (e.g. runc's) mean nothing to this shim, as in Kata.
            return null;
        }

        try
        {
            var parsed = RuntimeOptions.Parser.ParseFrom(options.Value);
            return parsed.ConfigPath.Length > 0 ? parsed.ConfigPath : null;
        }
        catch (Google.Protobuf.InvalidProtocolBufferException ex)
        {
            throw new ShimException(
                ShimErrorKind.InvalidArgument,
                $"sevshim: the runtime options of task {id} do not decode as {RuntimeOptionsTypeName}: {ex.Message}",
                ex);
        }
    }

    private static Timestamp? ToTimestamp(DateTimeOffset? at) =>
        at is { } value ? Timestamp.FromDateTimeOffset(value) : null;
}
