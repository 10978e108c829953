namespace Qemu;

/// <summary>What a short-lived child process printed and how it ended.</summary>
/// <param name="ExitCode">Exit code, or null when it was killed after the timeout.</param>
/// <param name="StandardOutput">Captured stdout.</param>
/// <param name="StandardError">Captured stderr.</param>
public sealed record ProcessOutput(int? ExitCode, string StandardOutput, string StandardError)
{
    /// <summary>True when the process did not exit by itself before the timeout.</summary>
    public bool TimedOut => ExitCode is null;
}
