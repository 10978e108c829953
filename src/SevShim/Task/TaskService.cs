using SevShim.Errors;
using SevShim.Events;
using SevShim.Sandbox;
using Serilog;

namespace SevShim.Tasks;

/// <summary>
/// The task API (containerd.task.v2.Task, SHIM-PROTOCOL.md 2) on domain types, for every container
/// of one pod: the pod's first Create makes the sandbox (boots the VM), the last Delete stops it
/// (ARCHITECTURE.md decision 2). Process lifecycles follow <see cref="ProcessTransitions"/>;
/// unknown ids are NotFound, illegal transitions FailedPrecondition.
/// Locks: <c>_podGate</c> serializes Create and task Delete (the sandbox's lifetime and the set of
/// containers); each container's Lifecycle serializes its slow calls; <c>_sync</c> guards all
/// state and is held only for short, non-awaiting sections. Order: _podGate, then Lifecycle, then
/// _sync. Events are published while holding _sync, so their queue order is the order of the
/// state changes (create, start, exit, delete).
/// Ownership: owns the sandbox it gets from the factory (shut down and disposed after the last
/// Delete or in <see cref="DisposeAsync"/>); does not own the event sink.
/// </summary>
internal sealed partial class TaskService : IAsyncDisposable
{
    private readonly ISandboxFactory _sandboxFactory;
    private readonly ITaskEventSink _events;
    private readonly ILogger _logger;
    private readonly TaskServiceOptions _options;
    private readonly SemaphoreSlim _podGate = new(1, 1);
    private readonly Lock _sync = new();
    private readonly Dictionary<string, Container> _containers = new(StringComparer.Ordinal); // guarded by _sync
    private readonly TaskCompletionSource _shutdownRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _shuttingDown; // guarded by _sync
    private ISandbox? _sandbox; // guarded by _podGate
    private string? _podId; // guarded by _podGate
    private Task? _exitLoop; // guarded by _podGate

    /// <summary>
    /// <paramref name="sandboxFactory"/> makes the pod's VM at the first Create (production:
    /// <see cref="QemuSandboxFactory"/>); <paramref name="events"/>
    /// receives task events (production: <see cref="TaskEventPublisher"/>).
    /// </summary>
    public TaskService(ISandboxFactory sandboxFactory, ITaskEventSink events, ILogger logger, TaskServiceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sandboxFactory);
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(logger);
        _sandboxFactory = sandboxFactory;
        _events = events;
        _logger = logger.ForContext<TaskService>();
        _options = options ?? new TaskServiceOptions();
    }

    /// <summary>
    /// Completes when Shutdown was called while no container remains: the host should then stop
    /// serving, remove its socket and exit (SHIM-PROTOCOL.md 2.3).
    /// </summary>
    public Task ShutdownRequested => _shutdownRequested.Task;

    /// <summary>Create: makes the container (and the pod's sandbox if it is the first) and returns the init pid.</summary>
    public async Task<uint> CreateAsync(CreateTaskCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ValidateId(command.Id, "task id");
        if (command.Bundle.Length == 0 || !Path.IsPathRooted(command.Bundle))
        {
            throw new ShimException(
                ShimErrorKind.InvalidArgument,
                $"sevshim: task {command.Id} has bundle path '{command.Bundle}'; an absolute bundle directory is required");
        }

        if (command.Checkpoint.Length > 0)
        {
            throw new ShimException(
                ShimErrorKind.Unimplemented,
                $"sevshim: cannot restore task {command.Id} from checkpoint {command.Checkpoint}: checkpoint/restore of containers in a pod VM is not supported; create it without a checkpoint");
        }

        await _options.Failpoints.HitAsync("create", cancellationToken).ConfigureAwait(false);
        await _podGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_sync)
            {
                if (_containers.ContainsKey(command.Id))
                {
                    throw new ShimException(ShimErrorKind.AlreadyExists, $"sevshim: task {command.Id} already exists");
                }

                if (_shuttingDown)
                {
                    throw new ShimException(
                        ShimErrorKind.FailedPrecondition,
                        $"sevshim: cannot create task {command.Id}: this shim is shutting down; retry so containerd starts a new shim");
                }
            }

            var spec = await BundleSpec.ReadAsync(command.Bundle, cancellationToken).ConfigureAwait(false);
            var podId = spec.SandboxId ?? command.Id;
            var createdSandbox = false;
            if (_sandbox is null)
            {
                _logger.Information("Creating the sandbox of pod {PodId} for task {ContainerId}", podId, command.Id);
                var sandbox = await _sandboxFactory.CreateAsync(
                    new SandboxRequest(podId, command.Id, command.Bundle, spec.Json, command.RuntimeConfigPath),
                    cancellationToken).ConfigureAwait(false);
                _sandbox = sandbox;
                _podId = podId;
                _exitLoop = Task.Run(() => RunExitLoopAsync(sandbox), CancellationToken.None);
                createdSandbox = true;
                await _options.Failpoints.HitAsync("create.after-sandbox", cancellationToken).ConfigureAwait(false);
            }
            else if (!string.Equals(podId, _podId, StringComparison.Ordinal))
            {
                throw new ShimException(
                    ShimErrorKind.InvalidArgument,
                    $"sevshim: task {command.Id} belongs to pod {podId} but this shim serves pod {_podId}; its {BundleSpec.SandboxIdAnnotation} annotation must name {_podId}");
            }

            uint pid;
            try
            {
                pid = await _sandbox.CreateContainerAsync(
                    new ContainerCreateRequest(command.Id, command.Bundle, spec.Json, command.Rootfs, command.Stdio),
                    cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (createdSandbox && LogAndTrue(ex, command.Id))
            {
                // The pod's first container failed: the sandbox serves nobody, stop it now.
                await TearDownSandboxAsync().ConfigureAwait(false);
                throw;
            }

            var container = new Container(command.Id, command.Bundle, command.Rootfs, command.Stdio, _sandbox);
            lock (_sync)
            {
                container.Init.Pid = pid;
                _containers.Add(command.Id, container);
                _events.Publish(TaskEvent.Created(command.Id, command.Bundle, command.Rootfs, command.Stdio, pid));
            }

            _logger.Information("Created task {ContainerId} in pod {PodId}, pid {Pid}", command.Id, podId, pid);
            return pid;
        }
        finally
        {
            _podGate.Release();
        }
    }

    /// <summary>Start: starts the init process (empty <paramref name="execId"/>) or an exec; returns its pid.</summary>
    public async Task<uint> StartAsync(string id, string execId, CancellationToken cancellationToken)
    {
        await _options.Failpoints.HitAsync(execId.Length == 0 ? "start" : "start.exec", cancellationToken).ConfigureAwait(false);
        var container = GetContainer(id);
        await container.Lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ShimProcess process;
            lock (_sync)
            {
                process = FindProcessLocked(id, execId);
                process.Machine.Ensure(ProcessOperation.Start);
                if (process.Kind == ProcessKind.Exec
                    && (container.Init.Machine.State != ProcessState.Running || container.PendingInitExit is not null))
                {
                    var state = container.PendingInitExit is not null ? "exiting" : ProcessStateMachine.Name(container.Init.Machine.State);
                    throw new ShimException(
                        ShimErrorKind.FailedPrecondition,
                        $"sevshim: cannot start exec {execId} of task {id}: the task is {state}, and an exec runs only in a running task");
                }

                process.StartInFlight = true;
            }

            uint pid;
            try
            {
                pid = process.Kind == ProcessKind.Init
                    ? await container.Sandbox.StartContainerAsync(id, cancellationToken).ConfigureAwait(false)
                    : await container.Sandbox.StartExecAsync(
                        new ExecRequest(id, execId, process.ProcessSpecJson, process.Stdio),
                        cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                lock (_sync)
                {
                    process.StartInFlight = false;
                    if (process.PendingExit is { } early)
                    {
                        process.PendingExit = null;
                        HandleExitLocked(container, process, early);
                    }
                    else
                    {
                        TryFinishInitExitLocked(container);
                    }
                }

                throw;
            }

            lock (_sync)
            {
                process.StartInFlight = false;
                process.Pid = pid;
                process.Machine.Apply(ProcessOperation.Start);
                _events.Publish(process.Kind == ProcessKind.Init
                    ? TaskEvent.Started(id, pid)
                    : TaskEvent.ExecStarted(id, execId, pid));
                process.StartPublished = true;

                // An exit that raced the start is published only now, after the start event.
                if (process.PendingExit is { } exit)
                {
                    process.PendingExit = null;
                    HandleExitLocked(container, process, exit);
                }
            }

            _logger.Information("Started {Process} of task {ContainerId}, pid {Pid}", Describe(execId), id, pid);
            return pid;
        }
        finally
        {
            container.Lifecycle.Release();
        }
    }

    /// <summary>Exec: records a new exec (started later by Start) and publishes exec-added.</summary>
    public async Task ExecAsync(ExecProcessCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ValidateId(command.ExecId, "exec id");
        await _options.Failpoints.HitAsync("exec", cancellationToken).ConfigureAwait(false);
        var container = GetContainer(command.ContainerId);
        await container.Lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            lock (_sync)
            {
                EnsureStillPresentLocked(container);
                if (container.Execs.ContainsKey(command.ExecId))
                {
                    throw new ShimException(
                        ShimErrorKind.AlreadyExists,
                        $"sevshim: exec {command.ExecId} already exists in task {command.ContainerId}; exec ids must be unique per task");
                }

                container.Init.Machine.Ensure(ProcessOperation.Exec);
                if (container.PendingInitExit is not null)
                {
                    throw new ShimException(
                        ShimErrorKind.FailedPrecondition,
                        $"sevshim: cannot add an exec to task {command.ContainerId}: its init process has exited");
                }

                container.Execs.Add(
                    command.ExecId,
                    new ShimProcess(ProcessKind.Exec, command.ContainerId, command.ExecId, command.Stdio, command.ProcessSpecJson));
                _events.Publish(TaskEvent.ExecAdded(command.ContainerId, command.ExecId));
            }
        }
        finally
        {
            container.Lifecycle.Release();
        }
    }

    /// <summary>State of the init process or of an exec.</summary>
    public ProcessStatus State(string id, string execId)
    {
        lock (_sync)
        {
            var container = FindContainerLocked(id);
            var p = FindProcessLocked(id, execId);
            return new ProcessStatus(id, execId, container.Bundle, p.Pid, p.Machine.State, p.Stdio, p.ExitStatus, p.ExitedAt);
        }
    }

    /// <summary>Wait: completes when the process has exited (also if it already has).</summary>
    public async Task<ExitResult> WaitAsync(string id, string execId, CancellationToken cancellationToken)
    {
        Task<ExitResult> exited;
        lock (_sync)
        {
            exited = FindProcessLocked(id, execId).Exited.Task;
        }

        return await exited.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Connect: the shim's pid and the task's pid (0 for an unknown id, never an error).</summary>
    public ConnectResult Connect(string id)
    {
        lock (_sync)
        {
            var taskPid = _containers.TryGetValue(id, out var container) ? container.Init.Pid : 0;
            return new ConnectResult(_options.ShimPid, taskPid, _options.Version);
        }
    }

    /// <summary>
    /// Shutdown: ignored while any container remains (containerd 1.6 sends it after every task
    /// Delete); otherwise completes <see cref="ShutdownRequested"/>. <paramref name="now"/> does
    /// not change this, as in the runc shim.
    /// </summary>
    public void Shutdown(string id, bool now)
    {
        lock (_sync)
        {
            if (_containers.Count > 0)
            {
                _logger.Debug("Ignoring Shutdown from task {ContainerId}: {Count} tasks remain", id, _containers.Count);
                return;
            }

            _shuttingDown = true;
        }

        _logger.Information("Shutdown requested by task {ContainerId} (now={Now}); no tasks remain", id, now);
        _shutdownRequested.TrySetResult();
    }

    /// <summary>Stops the pod's sandbox if one is running (the host calls this when it stops).</summary>
    public async ValueTask DisposeAsync()
    {
        await _podGate.WaitAsync().ConfigureAwait(false);
        try
        {
            await TearDownSandboxAsync().ConfigureAwait(false);
        }
        finally
        {
            _podGate.Release();
        }
    }

    private static void ValidateId(string id, string what)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 1024 || id.Contains('/', StringComparison.Ordinal) || id.Any(char.IsControl))
        {
            throw new ShimException(
                ShimErrorKind.InvalidArgument,
                $"sevshim: invalid {what} '{id}': it must be non-empty, at most 1024 characters, without '/' or control characters");
        }
    }

    private static string Describe(string execId) => execId.Length == 0 ? "init process" : $"exec {execId}";

    private bool LogAndTrue(Exception ex, string id)
    {
        _logger.Warning(ex, "Creating task {ContainerId} failed; stopping the pod sandbox it would have been the first task of", id);
        return true;
    }
}
