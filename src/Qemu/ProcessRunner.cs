using System.ComponentModel;
using System.Diagnostics;

namespace Qemu;

/// <summary>
/// Runs a short-lived child process to completion with a timeout, capturing its output.
/// The child is always gone when this returns: on timeout or cancellation it is killed
/// (with its process tree) and reaped.
/// </summary>
public static class ProcessRunner
{
    /// <summary>Runs <paramref name="fileName"/> with <paramref name="arguments"/>; stdin is closed at once.</summary>
    public static async Task<ProcessOutput> RunAsync(
        string fileName, IEnumerable<string> arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        ArgumentNullException.ThrowIfNull(arguments);
        using var process = new Process { StartInfo = CreateStartInfo(fileName, arguments) };
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new FileNotFoundException($"cannot run {fileName}: {ex.Message}", fileName, ex);
        }

        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        int? exitCode;
        try
        {
            await process.WaitForExitAsync(deadline.Token);
            exitCode = process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            Kill(process);
            await process.WaitForExitAsync(CancellationToken.None);
            cancellationToken.ThrowIfCancellationRequested();
            exitCode = null;
        }

        return new ProcessOutput(exitCode, await stdout, await stderr);
    }

    /// <summary>The start info every QEMU child uses: no shell, all three standard streams redirected.</summary>
    internal static ProcessStartInfo CreateStartInfo(string fileName, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in arguments)
        {
            info.ArgumentList.Add(a);
        }

        return info;
    }

    /// <summary>Kills <paramref name="process"/> and its children; a process that already exited is fine.</summary>
    internal static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }
}
