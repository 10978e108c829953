using SevShim.Errors;

namespace SevShim.Tasks;

/// <summary>Settings of <see cref="TaskService"/>; the defaults suit production.</summary>
internal sealed record TaskServiceOptions
{
    /// <summary>Reported by Connect as shim_pid.</summary>
    public uint ShimPid { get; init; } = (uint)Environment.ProcessId;

    /// <summary>Reported by Connect as version.</summary>
    public string Version { get; init; } = "sevshim";

    /// <summary>
    /// After a container's init process exits, how long its still-running execs get (they are
    /// sent SIGKILL) before they are recorded as killed (137) so the init exit can be published:
    /// the init exit must be the last exit of the container (runc shim handleInitExit).
    /// </summary>
    public TimeSpan InitExitGrace { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Bound on stopping the pod's VM after its last container is deleted.</summary>
    public TimeSpan SandboxShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Fault injection for the soak tests (SEVSHIM_FAILPOINTS); inert by default.</summary>
    public Failpoints Failpoints { get; init; } = Failpoints.Inert;

    /// <summary>Clock for exit times it has to make up and for the grace delay.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
