using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace Qemu;

/// <summary>
/// Starts a throwaway QEMU with no guest (<c>-machine none</c>, as libvirt probes capabilities),
/// gives the caller a negotiated <see cref="QmpClient"/>, then quits QEMU.
/// QMP runs in reverse: this process listens on a private unix socket (in a 0700 temp folder) and
/// QEMU connects to it as a client (<c>-qmp unix:PATH</c> without <c>server=on</c>), so there is
/// no polling for QEMU's socket to appear. QEMU is always gone and the folder removed when
/// <see cref="RunAsync{T}"/> returns.
/// </summary>
public static class QemuProbeVm
{
    // How long QEMU may take to exit after it dropped the QMP connection during the handshake.
    private static readonly TimeSpan ExitGrace = TimeSpan.FromSeconds(30);

    /// <summary>Runs <paramref name="action"/> against a fresh probe QEMU.</summary>
    /// <param name="binary">QEMU system emulator path.</param>
    /// <param name="accelerator">"kvm" or "tcg" (QEMU's <c>-accel</c> names).</param>
    /// <param name="timeout">Limit for QEMU to start and the action to finish; QEMU with
    /// accel=kvm can hang when /dev/kvm cannot run guests (e.g. a PVM module).</param>
    /// <param name="action">What to ask QEMU.</param>
    /// <param name="cancellationToken">Cancels everything; QEMU is killed.</param>
    public static async Task<T> RunAsync<T>(
        string binary,
        string accelerator,
        TimeSpan timeout,
        Func<QmpClient, CancellationToken, Task<T>> action,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(binary);
        ArgumentException.ThrowIfNullOrEmpty(accelerator);
        ArgumentNullException.ThrowIfNull(action);
        // CreateTempSubdirectory makes the folder 0700 on Unix: nobody else can reach the socket.
        var dir = Directory.CreateTempSubdirectory("sevshim-qmp-");
        try
        {
            var socketPath = Path.Combine(dir.FullName, "qmp.sock");
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(socketPath));
            listener.Listen(1);
            string[] args =
            [
                "-machine", "none",
                "-accel", accelerator,
                "-nodefaults",
                "-display", "none",
                "-qmp", "unix:" + socketPath,
            ];
            using var process = new Process { StartInfo = ProcessRunner.CreateStartInfo(binary, args) };
            var stderr = new StringBuilder();
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not null)
                {
                    lock (stderr)
                    {
                        stderr.AppendLine(e.Data);
                    }
                }
            };
            try
            {
                process.Start();
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new QemuStartException($"cannot run {binary}: {ex.Message}", ex);
            }

            process.StandardInput.Close();
            process.BeginErrorReadLine();
            process.BeginOutputReadLine();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            try
            {
                return await TalkAsync(process, listener, action, () => Snapshot(stderr), deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new QemuStartException(
                    $"{binary} -accel {accelerator} did not answer on QMP within {timeout.TotalSeconds:0} s",
                    Snapshot(stderr));
            }
            finally
            {
                ProcessRunner.Kill(process);
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static async Task<T> TalkAsync<T>(
        Process process,
        Socket listener,
        Func<QmpClient, CancellationToken, Task<T>> action,
        Func<string> stderr,
        CancellationToken cancellationToken)
    {
        var accept = listener.AcceptAsync(cancellationToken).AsTask();
        var exited = process.WaitForExitAsync(cancellationToken);
        var first = await Task.WhenAny(accept, exited);
        if (first == exited)
        {
            await exited;
            throw new QemuStartException(
                $"{process.StartInfo.FileName} exited with code {process.ExitCode} before connecting to QMP: {stderr().Trim()}",
                stderr(),
                process.ExitCode);
        }

        var connection = await accept;
        QmpClient client;
        try
        {
            client = await QmpClient.StartAsync(new NetworkStream(connection, ownsSocket: true), cancellationToken);
        }
        catch (QmpConnectionClosedException)
        {
            // QEMU connects its QMP chardev before it validates the rest of the command line
            // (e.g. an unknown accelerator), then exits: report its own error, not the socket's.
            using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            grace.CancelAfter(ExitGrace);
            await process.WaitForExitAsync(grace.Token);
            throw new QemuStartException(
                $"{process.StartInfo.FileName} exited with code {process.ExitCode} during the QMP handshake: {stderr().Trim()}",
                stderr(),
                process.ExitCode);
        }

        await using var owned = client;
        var result = await action(client, cancellationToken);
        try
        {
            // A polite quit lets QEMU clean up; the caller's finally kills it anyway.
            await client.ExecuteAsync("quit", cancellationToken);
        }
        catch (Exception ex) when (ex is QmpConnectionClosedException or QmpErrorException)
        {
            // QEMU may close the socket before its reply reaches us.
        }

        return result;
    }

    private static string Snapshot(StringBuilder sb)
    {
        lock (sb)
        {
            return sb.ToString();
        }
    }
}
