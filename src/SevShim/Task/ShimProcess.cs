using SevShim.Sandbox;

namespace SevShim.Tasks;

/// <summary>
/// One process of a container as the task service tracks it. Every mutable member is guarded by
/// the task service's state lock (TaskService._sync); nothing here locks by itself.
/// </summary>
internal sealed class ShimProcess
{
    private TaskCompletionSource? _startAttempt;

    /// <summary>Creates a process record in the Created state.</summary>
    public ShimProcess(ProcessKind kind, string containerId, string execId, StdioPaths stdio, string processSpecJson)
    {
        Kind = kind;
        ContainerId = containerId;
        ExecId = execId;
        Stdio = stdio;
        ProcessSpecJson = processSpecJson;
        Machine = new ProcessStateMachine(kind, kind == ProcessKind.Init ? $"task {containerId}" : $"exec {execId} of task {containerId}");
    }

    /// <summary>Init or exec.</summary>
    public ProcessKind Kind { get; }

    /// <summary>The container it belongs to.</summary>
    public string ContainerId { get; }

    /// <summary>Empty for the init process.</summary>
    public string ExecId { get; }

    /// <summary>Its stdio.</summary>
    public StdioPaths Stdio { get; }

    /// <summary>OCI Process JSON of an exec; empty for init.</summary>
    public string ProcessSpecJson { get; }

    /// <summary>Its lifecycle state.</summary>
    public ProcessStateMachine Machine { get; }

    /// <summary>Process id once known (0 before).</summary>
    public uint Pid { get; set; }

    /// <summary>Exit status once stopped.</summary>
    public uint ExitStatus { get; set; }

    /// <summary>Exit time once stopped.</summary>
    public DateTimeOffset? ExitedAt { get; set; }

    /// <summary>A Start call is talking to the VM; exits seen meanwhile wait in <see cref="PendingExit"/>.</summary>
    public bool StartInFlight
    {
        get => _startAttempt is not null;
        set
        {
            if (value)
            {
                _startAttempt ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            else
            {
                _startAttempt?.TrySetResult();
                _startAttempt = null;
            }
        }
    }

    /// <summary>
    /// Completes when the Start in flight (if any) has succeeded or failed. An exec's process is
    /// visible in the guest (ps lists it) before the VM's reply moves it to running, and the runc
    /// shim holds the exec's lock across `runc exec`, so a Kill then waits for the start instead of
    /// being refused in created state (pkg/process/exec.go, execProcess.Kill and Start).
    /// </summary>
    public Task StartSettled => _startAttempt?.Task ?? Task.CompletedTask;

    /// <summary>
    /// Its start event (TaskStart / TaskExecStarted) is queued. Its exit event is published only
    /// when this is true: containerd requires start before exit (SHIM-PROTOCOL.md 3.2).
    /// </summary>
    public bool StartPublished { get; set; }

    /// <summary>An exit reported while <see cref="StartInFlight"/>; applied when the start completes.</summary>
    public ProcessExited? PendingExit { get; set; }

    /// <summary>Completed once with the exit (Wait awaits it).</summary>
    public TaskCompletionSource<ExitResult> Exited { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Running, or about to be (its start is in flight).</summary>
    public bool IsLive => StartInFlight || Machine.State == ProcessState.Running;
}
