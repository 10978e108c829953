using Microsoft.Win32.SafeHandles;
using SevAgent.Errors;
using SevAgent.Native;
using SevRuntime.Posix;

namespace SevAgent.Containers;

/// <summary>
/// One process of a container (the init process or an exec): its pid, its stdio ends on the
/// agent side and its exit. Owns the pumps, the stdin writer and the pty master.
/// </summary>
internal sealed class ContainerProcess
{
    private readonly TaskCompletionSource<ExitInfo> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private SafeFileHandle? _ptyMaster;

    public ContainerProcess(string containerId, string execId, bool terminal)
    {
        ContainerId = containerId;
        ExecId = execId;
        Terminal = terminal;
    }

    public string ContainerId { get; }

    /// <summary>Empty for the init process.</summary>
    public string ExecId { get; }

    public bool Terminal { get; }

    /// <summary>The guest pid, 0 until crun reported it.</summary>
    public int Pid { get; set; }

    public OutputPump? Stdout { get; set; }

    public OutputPump? Stderr { get; set; }

    public StdinWriter? Stdin { get; set; }

    /// <summary>The stdin writer; FAILED_PRECONDITION when the process has none.</summary>
    public StdinWriter RequireStdin() =>
        Stdin ?? throw AgentException.FailedPrecondition($"{Name} was created without stdin (stdio.stdin=false)");

    /// <summary>The stdout (or terminal) pump; FAILED_PRECONDITION when the process has none.</summary>
    public OutputPump RequireStdout() =>
        Stdout ?? throw AgentException.FailedPrecondition($"{Name} was created without stdout (stdio.stdout=false)");

    /// <summary>The stderr pump; FAILED_PRECONDITION when the process has none.</summary>
    public OutputPump RequireStderr() =>
        Stderr ?? throw AgentException.FailedPrecondition($"{Name} was created without stderr (stdio.stderr=false)");

    /// <summary>"container c1" or "exec e1 of container c1", for messages.</summary>
    public string Name => ExecId.Length == 0 ? $"container {ContainerId}" : $"exec {ExecId} of container {ContainerId}";

    /// <summary>Completes when the process was reaped.</summary>
    public Task<ExitInfo> Exited => _exit.Task;

    public bool HasExited => _exit.Task.IsCompleted;

    /// <summary>Records the exit (first call wins).</summary>
    public void SetExited(ExitInfo info) => _exit.TrySetResult(info);

    /// <summary>Takes ownership of the pty master: output pump, stdin writer (a duplicate) and resize.</summary>
    public void AttachTerminal(SafeFileHandle master, bool stdin)
    {
        _ptyMaster = Fd.Duplicate(master);
        Stdout = new OutputPump(master, "terminal of " + Name);
        if (stdin)
        {
            Stdin = new StdinWriter(Fd.Duplicate(master), terminal: true, Name);
        }
    }

    /// <summary>TIOCSWINSZ on the pty master.</summary>
    public unsafe void Resize(uint width, uint height)
    {
        if (_ptyMaster is null)
        {
            throw AgentException.FailedPrecondition($"{Name} has no terminal: create it with stdio.terminal");
        }

        if (HasExited)
        {
            throw AgentException.FailedPrecondition($"{Name} has exited");
        }

        var size = new LibC.WinSize { Cols = (ushort)Math.Min(width, ushort.MaxValue), Rows = (ushort)Math.Min(height, ushort.MaxValue) };
        using var fd = FdLease.Of(_ptyMaster);
        if (Posix.ioctl(fd.Value, LibC.TIOCSWINSZ, &size) < 0)
        {
            throw AgentException.Internal($"resizing the terminal of {Name} failed: {Posix.LastError()}");
        }
    }

    /// <summary>Releases the pty master kept for resizing (after exit).</summary>
    public void ReleaseTerminal()
    {
        _ptyMaster?.Dispose();
    }
}
