using System.Collections.Frozen;

namespace SevShim.Tasks;

/// <summary>
/// The transition tables of the init process and of execs: (state, operation) to the next state.
/// A pair that is absent is illegal (FailedPrecondition naming the state and the operation),
/// except Kill of a stopped process, which is NotFound ("process already finished") as in the
/// runc shim, so that containerd treats a late kill as harmless.
/// Operations that do not change the state (Kill, ResizePty, CloseIO, Update, Exec) map to the
/// same state. Modelled on the runc shim's per-state objects (init_state.go, exec_state.go):
/// exec is allowed in created and running; resize in created, running, paused and stopped (a
/// no-op there: ctr and kubelet resize on SIGWINCH and may race the exit, and the runc shim's
/// stopped init accepts it); delete only when created (never started) or stopped.
/// </summary>
internal static class ProcessTransitions
{
    /// <summary>Init process: created, running, pausing/paused, stopped, deleted.</summary>
    public static FrozenDictionary<(ProcessState From, ProcessOperation Operation), ProcessState> Init { get; } =
        new Dictionary<(ProcessState, ProcessOperation), ProcessState>
        {
            [(ProcessState.Created, ProcessOperation.Start)] = ProcessState.Running,
            [(ProcessState.Created, ProcessOperation.Exit)] = ProcessState.Stopped,
            [(ProcessState.Created, ProcessOperation.Kill)] = ProcessState.Created,
            [(ProcessState.Created, ProcessOperation.Exec)] = ProcessState.Created,
            [(ProcessState.Created, ProcessOperation.ResizePty)] = ProcessState.Created,
            [(ProcessState.Created, ProcessOperation.CloseIO)] = ProcessState.Created,
            [(ProcessState.Created, ProcessOperation.Update)] = ProcessState.Created,
            [(ProcessState.Created, ProcessOperation.Delete)] = ProcessState.Deleted,

            [(ProcessState.Running, ProcessOperation.Exit)] = ProcessState.Stopped,
            [(ProcessState.Running, ProcessOperation.Pause)] = ProcessState.Pausing,
            [(ProcessState.Running, ProcessOperation.Kill)] = ProcessState.Running,
            [(ProcessState.Running, ProcessOperation.Exec)] = ProcessState.Running,
            [(ProcessState.Running, ProcessOperation.ResizePty)] = ProcessState.Running,
            [(ProcessState.Running, ProcessOperation.CloseIO)] = ProcessState.Running,
            [(ProcessState.Running, ProcessOperation.Update)] = ProcessState.Running,

            [(ProcessState.Pausing, ProcessOperation.PauseDone)] = ProcessState.Paused,
            [(ProcessState.Pausing, ProcessOperation.PauseFailed)] = ProcessState.Running,
            [(ProcessState.Pausing, ProcessOperation.Exit)] = ProcessState.Stopped,
            [(ProcessState.Pausing, ProcessOperation.Kill)] = ProcessState.Pausing,
            [(ProcessState.Pausing, ProcessOperation.CloseIO)] = ProcessState.Pausing,

            [(ProcessState.Paused, ProcessOperation.Resume)] = ProcessState.Running,
            [(ProcessState.Paused, ProcessOperation.Exit)] = ProcessState.Stopped,
            [(ProcessState.Paused, ProcessOperation.Kill)] = ProcessState.Paused,
            [(ProcessState.Paused, ProcessOperation.ResizePty)] = ProcessState.Paused,
            [(ProcessState.Paused, ProcessOperation.CloseIO)] = ProcessState.Paused,
            [(ProcessState.Paused, ProcessOperation.Update)] = ProcessState.Paused,

            [(ProcessState.Stopped, ProcessOperation.CloseIO)] = ProcessState.Stopped,
            [(ProcessState.Stopped, ProcessOperation.ResizePty)] = ProcessState.Stopped,
            [(ProcessState.Stopped, ProcessOperation.Delete)] = ProcessState.Deleted,
        }.ToFrozenDictionary();

    /// <summary>Exec: created, running, stopped, deleted (pausing is the container's, not the exec's).</summary>
    public static FrozenDictionary<(ProcessState From, ProcessOperation Operation), ProcessState> Exec { get; } =
        new Dictionary<(ProcessState, ProcessOperation), ProcessState>
        {
            [(ProcessState.Created, ProcessOperation.Start)] = ProcessState.Running,
            [(ProcessState.Created, ProcessOperation.Exit)] = ProcessState.Stopped,
            [(ProcessState.Created, ProcessOperation.Delete)] = ProcessState.Deleted,

            [(ProcessState.Running, ProcessOperation.Exit)] = ProcessState.Stopped,
            [(ProcessState.Running, ProcessOperation.Kill)] = ProcessState.Running,
            [(ProcessState.Running, ProcessOperation.ResizePty)] = ProcessState.Running,
            [(ProcessState.Running, ProcessOperation.CloseIO)] = ProcessState.Running,

            [(ProcessState.Stopped, ProcessOperation.CloseIO)] = ProcessState.Stopped,
            [(ProcessState.Stopped, ProcessOperation.ResizePty)] = ProcessState.Stopped,
            [(ProcessState.Stopped, ProcessOperation.Delete)] = ProcessState.Deleted,
        }.ToFrozenDictionary();

    /// <summary>The table for <paramref name="kind"/>.</summary>
    public static FrozenDictionary<(ProcessState From, ProcessOperation Operation), ProcessState> For(ProcessKind kind) =>
        kind == ProcessKind.Init ? Init : Exec;
}
