using SevShim.Errors;

namespace SevShim.Tasks;

/// <summary>
/// The state of one process, moved only through <see cref="ProcessTransitions"/>. Not
/// thread-safe: the task service calls it under its state lock.
/// </summary>
internal sealed class ProcessStateMachine
{
    private readonly ProcessKind _kind;
    private readonly string _subject;

    /// <summary>
    /// <paramref name="subject"/> names the process in errors, e.g. "task c1" or "exec e1 of task c1".
    /// </summary>
    public ProcessStateMachine(ProcessKind kind, string subject, ProcessState initial = ProcessState.Created)
    {
        _kind = kind;
        _subject = subject;
        State = initial;
    }

    /// <summary>The current state.</summary>
    public ProcessState State { get; private set; }

    /// <summary>Whether <paramref name="operation"/> is allowed now.</summary>
    public bool CanApply(ProcessOperation operation) =>
        ProcessTransitions.For(_kind).ContainsKey((State, operation));

    /// <summary>Throws unless <paramref name="operation"/> is allowed now; does not change the state.</summary>
    public void Ensure(ProcessOperation operation)
    {
        if (!CanApply(operation))
        {
            throw Illegal(operation);
        }
    }

    /// <summary>Moves to the state <paramref name="operation"/> leads to, or throws if it is illegal now.</summary>
    public ProcessState Apply(ProcessOperation operation)
    {
        if (!ProcessTransitions.For(_kind).TryGetValue((State, operation), out var next))
        {
            throw Illegal(operation);
        }

        State = next;
        return next;
    }

    /// <summary>The error for an illegal <paramref name="operation"/> in the current state.</summary>
    public ShimException Illegal(ProcessOperation operation)
    {
        if (operation == ProcessOperation.Kill && State is ProcessState.Stopped or ProcessState.Deleted)
        {
            // runc shim: "process already finished" (errdefs NotFound); containerd ignores it.
            return new ShimException(ShimErrorKind.NotFound, $"sevshim: cannot kill {_subject}: process already finished");
        }

        return new ShimException(
            ShimErrorKind.FailedPrecondition,
            $"sevshim: cannot {Verb(operation)} {_subject} in {Name(State)} state{Hint(operation, State)}");
    }

    /// <summary>containerd's lower-case name of a state, as used in error messages.</summary>
    public static string Name(ProcessState state) => state switch
    {
        ProcessState.Created => "created",
        ProcessState.Running => "running",
        ProcessState.Pausing => "pausing",
        ProcessState.Paused => "paused",
        ProcessState.Stopped => "stopped",
        _ => "deleted",
    };

    private static string Verb(ProcessOperation operation) => operation switch
    {
        ProcessOperation.Start => "start",
        ProcessOperation.Exit => "record the exit of",
        ProcessOperation.Pause => "pause",
        ProcessOperation.PauseDone or ProcessOperation.PauseFailed => "complete the pause of",
        ProcessOperation.Resume => "resume",
        ProcessOperation.Kill => "kill",
        ProcessOperation.Exec => "add an exec to",
        ProcessOperation.ResizePty => "resize the pty of",
        ProcessOperation.CloseIO => "close the io of",
        ProcessOperation.Update => "update",
        _ => "delete",
    };

    private static string Hint(ProcessOperation operation, ProcessState state) => (operation, state) switch
    {
        (ProcessOperation.Delete, ProcessState.Running or ProcessState.Paused or ProcessState.Pausing) =>
            " (kill it and wait for it to exit first)",
        (ProcessOperation.Start, ProcessState.Stopped) => " (it has already exited; delete it and create it again)",
        (ProcessOperation.Resume, ProcessState.Running) => " (it is not paused)",
        _ => string.Empty,
    };
}
