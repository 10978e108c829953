namespace SevShim.IntegrationTests.Conformance;

/// <summary>
/// What one long-running container (`ctr run -d`) showed through attach, exec, ps, pause/resume,
/// metrics, signals and delete. Every field is what a `ctr` user sees.
/// </summary>
public sealed record LongRunningObservation
{
    public int RunDetachedExit { get; init; }
    public string AttachStdout { get; init; } = string.Empty;
    public string AttachStderr { get; init; } = string.Empty;
    public OutputObservation ExecAsUser { get; init; } = new(-1, string.Empty, string.Empty);
    public int ExecTrueExit { get; init; }
    public int ExecFalseExit { get; init; }
    public int ExecExit3 { get; init; }
    public int PsCountWhileExecRuns { get; init; }
    public int ExecSigtermExit { get; init; }
    public int ExecSigkillExit { get; init; }
    public string? PausedStatus { get; init; }
    public string? ResumedStatus { get; init; }
    public string AfterResumeStdout { get; init; } = string.Empty;
    public int MetricsExit { get; init; }
    public bool MetricsShowPids { get; init; }
    public string? StatusAfterSigkill { get; init; }
    public int DeleteReportedExitCode { get; init; }
    public int ContainerDeleteExit { get; init; }
}
