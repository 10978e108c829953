namespace SevShim.IntegrationTests.Support;

/// <summary>
/// What a finished command showed its user: the exit code, stdout and stderr kept apart (ctr run
/// without -t hands the shim separate FIFOs and copies each to its own stream), and for large
/// output the length and sha256 of stdout (the text keeps only the first <see cref="CtrOutput.KeptBytes"/>).
/// </summary>
/// <param name="Command">The command line, for messages.</param>
/// <param name="ExitCode">The process's exit code.</param>
/// <param name="Stdout">The start of stdout as UTF-8 text.</param>
/// <param name="Stderr">The start of stderr as UTF-8 text.</param>
/// <param name="StdoutLength">All bytes written to stdout.</param>
/// <param name="StdoutSha256">Lower-case hex sha256 of stdout after the skipped prefix.</param>
public sealed record CtrResult(string Command, int ExitCode, string Stdout, string Stderr, long StdoutLength, string StdoutSha256)
{
    /// <summary>A short account for assertion messages.</summary>
    public string Describe() =>
        $"$ {Command}\n  exit code {ExitCode}, stdout {StdoutLength} bytes\n  stdout: {Clip(Stdout)}\n  stderr: {Clip(Stderr)}";

    /// <summary>Throws with the account unless the exit code is 0.</summary>
    public CtrResult EnsureSuccess()
    {
        if (ExitCode != 0)
        {
            throw new InvalidOperationException("command failed:\n" + Describe());
        }

        return this;
    }

    private static string Clip(string text) => text.Length <= 2000 ? text : text[..2000] + "...";
}
