namespace SevShim.Hosting;

/// <summary>What one invocation of the binary does.</summary>
internal enum ShimAction
{
    /// <summary>No action word: the long-running daemon that serves the task API (re-exec of start).</summary>
    Daemon,

    /// <summary>containerd's <c>start</c>: print the socket address, spawning the daemon if needed.</summary>
    Start,

    /// <summary>containerd's <c>delete</c>: clean up one container and print a DeleteResponse.</summary>
    Delete,

    /// <summary>Admin verb <c>version</c> (also the Go shims' <c>-v</c> flag).</summary>
    Version,

    /// <summary>Admin verb <c>config</c>: print the effective configuration as TOML.</summary>
    Config,

    /// <summary>Admin verb <c>check</c>: host readiness for SEV.</summary>
    Check,

    /// <summary>Admin verb <c>measure</c>: the expected launch digest.</summary>
    Measure,

    /// <summary>Admin verb <c>attestation POD</c>: the SNP attestation evidence recorded for a running pod.</summary>
    Attestation,

    /// <summary>containerd 2.x's <c>-info</c> flag (RuntimeInfo on stdout); not supported.</summary>
    Info,
}
