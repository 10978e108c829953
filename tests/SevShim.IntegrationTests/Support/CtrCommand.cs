using System.Diagnostics;
using System.Text;

namespace SevShim.IntegrationTests.Support;

/// <summary>
/// One started command (ctr, script) with stdin under the test's control and stdout/stderr
/// drained separately. The instance owns the process: disposing it kills the process (by its pid,
/// SIGKILL) if it still runs, so a failed test leaves no ctr behind.
/// </summary>
public sealed class CtrCommand : IAsyncDisposable
{
    private readonly Process _process;
    private readonly CtrOutput _stdout;
    private readonly CtrOutput _stderr;
    private readonly Task _pumps;
    private readonly string _display;

    private CtrCommand(Process process, string display, long stdoutHashSkip)
    {
        _process = process;
        _display = display;
        _stdout = new CtrOutput(stdoutHashSkip);
        _stderr = new CtrOutput(0);
        _pumps = Task.WhenAll(
            _stdout.PumpAsync(process.StandardOutput.BaseStream),
            _stderr.PumpAsync(process.StandardError.BaseStream));
    }

    /// <summary>The process id (to kill it on purpose, e.g. a ctr attach).</summary>
    public int Pid => _process.Id;

    /// <summary>stdout so far.</summary>
    public string Stdout => _stdout.Text;

    /// <summary>stderr so far.</summary>
    public string Stderr => _stderr.Text;

    /// <summary>True once the process ended.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The first <see cref="CtrOutput.KeptBytes"/> bytes of stdout so far, as bytes (for binary output).</summary>
    public byte[] StdoutBytes => _stdout.Bytes;

    /// <summary>
    /// Starts <paramref name="file"/>. stdin is a pipe the caller writes or closes; stdout is
    /// hashed after its first <paramref name="stdoutHashSkip"/> bytes. <paramref name="environment"/>
    /// adds to (or overrides) the inherited environment; the working directory defaults to the current one.
    /// </summary>
    public static CtrCommand Start(
        string file,
        IEnumerable<string> args,
        long stdoutHashSkip = 0,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory(),
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[key] = value;
        }

        var display = file + " " + string.Join(' ', info.ArgumentList.Select(Quote));
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + display);
        return new CtrCommand(process, display, stdoutHashSkip);
    }

    /// <summary>Writes <paramref name="text"/> to stdin and flushes it.</summary>
    public async Task WriteStdinAsync(string text, CancellationToken cancellationToken)
    {
        var stream = _process.StandardInput.BaseStream;
        await stream.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        await stream.FlushAsync(cancellationToken);
    }

    /// <summary>Closes stdin (the command sees end of file).</summary>
    public void CloseStdin() => _process.StandardInput.Close();

    /// <summary>
    /// Waits until stdout (or stderr with <paramref name="onStderr"/>) holds <paramref name="text"/>,
    /// polling the captured text; fails with what was seen when the command ends or time runs out.
    /// </summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout, bool onStderr = false)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (!(onStderr ? Stderr : Stdout).Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited)
            {
                await _pumps;
                if ((onStderr ? Stderr : Stdout).Contains(text, StringComparison.Ordinal))
                {
                    return;
                }

                throw new InvalidOperationException($"'{text}' never appeared; the command ended with {_process.ExitCode}:\n{Partial()}");
            }

            try
            {
                await Task.Delay(100, cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"'{text}' did not appear within {timeout}:\n{Partial()}");
            }
        }
    }

    /// <summary>
    /// Waits for the end and for both outputs to drain. On timeout kills the process and throws
    /// with the output seen so far.
    /// </summary>
    public async Task<CtrResult> WaitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            await _pumps.WaitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Kill();
            throw new TimeoutException($"timed out after {timeout}:\n{Partial()}");
        }

        return new CtrResult(_display, _process.ExitCode, _stdout.Text, _stderr.Text, _stdout.Length, _stdout.Sha256Hex());
    }

    /// <summary>SIGKILLs the process (this pid only) if it still runs.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: false);
            }
        }
        catch (InvalidOperationException)
        {
            // It ended between the check and the kill.
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
            // Reported by the test that owned it; nothing more to do here.
        }

        _process.Dispose();
    }

    private string Partial() => $"$ {_display}\n  stdout: {Stdout}\n  stderr: {Stderr}";

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsAsciiLetterOrDigit(c) || "-_./=:,@".Contains(c, StringComparison.Ordinal))
            ? arg
            : "'" + arg.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    /// <summary>Shell-quotes one word (for `script -c`).</summary>
    public static string ShellQuote(string arg) => Quote(arg);
}
