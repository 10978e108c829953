using System.Diagnostics;

namespace TestSupport;

/// <summary>
/// Runs a command-line tool a test sets up or checks the system with (iproute2's ip, tc) and
/// returns its stdout; a non-zero exit throws with the command line and the tool's stderr.
/// </summary>
public static class ToolRunner
{
    /// <summary>`ip ARGS...`.</summary>
    public static string Ip(params string[] args) => Run("ip", args);

    /// <summary><paramref name="file"/> with <paramref name="args"/>, each passed as one argument (no shell).</summary>
    public static string Run(string file, params string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        // stderr drains beside stdout, so that a tool that fills one pipe never blocks on it.
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return process.ExitCode == 0
            ? stdout
            : throw new InvalidOperationException($"{file} {string.Join(' ', args)}: {stderr.GetAwaiter().GetResult()}");
    }
}
