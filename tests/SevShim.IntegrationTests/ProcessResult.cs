namespace SevShim.IntegrationTests;

/// <summary>What a finished child process left: exit code and both streams.</summary>
internal sealed record ProcessResult(int ExitCode, byte[] Stdout, string Stderr)
{
    public string StdoutText => System.Text.Encoding.UTF8.GetString(Stdout);

    public override string ToString() => $"exit {ExitCode}; stdout: {StdoutText}; stderr: {Stderr}";
}
