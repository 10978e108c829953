using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using SevShim.Protos.Containerd.Events;
using SevShim.Protos.Containerd.EventsTtrpc;
using SevShim.Protos.Containerd.Types;
using Ttrpc;

namespace SevShim.Events;

/// <summary>
/// Turns a <see cref="TaskEvent"/> into containerd's topic and event message, and wraps it in the
/// Forward envelope. Topics and field meanings: SHIM-PROTOCOL.md 3.1-3.2. The event's Any uses the
/// bare message name as its type URL (3.4: containerd 1.6 cannot decode prefixed ones).
/// </summary>
internal static class TaskEventEncoder
{
    /// <summary>containerd's topic for <paramref name="kind"/>.</summary>
    public static string Topic(TaskEventKind kind) => kind switch
    {
        TaskEventKind.Create => "/tasks/create",
        TaskEventKind.Start => "/tasks/start",
        TaskEventKind.Exit => "/tasks/exit",
        TaskEventKind.Delete => "/tasks/delete",
        TaskEventKind.ExecAdded => "/tasks/exec-added",
        TaskEventKind.ExecStarted => "/tasks/exec-started",
        TaskEventKind.Oom => "/tasks/oom",
        TaskEventKind.Paused => "/tasks/paused",
        TaskEventKind.Resumed => "/tasks/resumed",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown task event kind"),
    };

    /// <summary>containerd's message for <paramref name="taskEvent"/>.</summary>
    public static IMessage ToMessage(TaskEvent taskEvent)
    {
        ArgumentNullException.ThrowIfNull(taskEvent);
        var e = taskEvent;
        switch (e.Kind)
        {
            case TaskEventKind.Create:
                var create = new TaskCreate
                {
                    ContainerId = e.ContainerId,
                    Bundle = e.Bundle,
                    Io = new TaskIO { Stdin = e.Stdio.Stdin, Stdout = e.Stdio.Stdout, Stderr = e.Stdio.Stderr, Terminal = e.Stdio.Terminal },
                    Pid = e.Pid,
                };
                foreach (var m in e.Rootfs)
                {
                    var mount = new Mount { Type = m.Type, Source = m.Source, Target = m.Target };
                    mount.Options.AddRange(m.Options);
                    create.Rootfs.Add(mount);
                }

                return create;
            case TaskEventKind.Start:
                return new TaskStart { ContainerId = e.ContainerId, Pid = e.Pid };
            case TaskEventKind.Exit:
                // TaskExit.id is the exec id for an exec and the container id for init (CRI relies on it).
                return new TaskExit
                {
                    ContainerId = e.ContainerId,
                    Id = e.ExecId.Length == 0 ? e.ContainerId : e.ExecId,
                    Pid = e.Pid,
                    ExitStatus = e.ExitStatus,
                    ExitedAt = ToTimestamp(e.ExitedAt),
                };
            case TaskEventKind.Delete:
                return new TaskDelete
                {
                    ContainerId = e.ContainerId,
                    Id = e.ExecId.Length == 0 ? e.ContainerId : e.ExecId,
                    Pid = e.Pid,
                    ExitStatus = e.ExitStatus,
                    ExitedAt = ToTimestamp(e.ExitedAt),
                };
            case TaskEventKind.ExecAdded:
                return new TaskExecAdded { ContainerId = e.ContainerId, ExecId = e.ExecId };
            case TaskEventKind.ExecStarted:
                return new TaskExecStarted { ContainerId = e.ContainerId, ExecId = e.ExecId, Pid = e.Pid };
            case TaskEventKind.Oom:
                return new TaskOOM { ContainerId = e.ContainerId };
            case TaskEventKind.Paused:
                return new TaskPaused { ContainerId = e.ContainerId };
            case TaskEventKind.Resumed:
                return new TaskResumed { ContainerId = e.ContainerId };
            default:
                throw new ArgumentOutOfRangeException(nameof(taskEvent), e.Kind, "unknown task event kind");
        }
    }

    /// <summary>The Forward envelope for <paramref name="taskEvent"/>, stamped with <paramref name="publishedAt"/>.</summary>
    public static Envelope ToEnvelope(TaskEvent taskEvent, string @namespace, DateTimeOffset publishedAt)
    {
        ArgumentNullException.ThrowIfNull(taskEvent);
        return new Envelope
        {
            Timestamp = Timestamp.FromDateTimeOffset(publishedAt),
            Namespace = @namespace,
            Topic = Topic(taskEvent.Kind),
            Event = TypeUrls.Pack(ToMessage(taskEvent)),
        };
    }

    private static Timestamp? ToTimestamp(DateTimeOffset? at) =>
        at is { } value ? Timestamp.FromDateTimeOffset(value) : null;
}
