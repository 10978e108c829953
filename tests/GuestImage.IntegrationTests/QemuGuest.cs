using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Qemu;
using TestSupport;

namespace GuestImage.IntegrationTests;

/// <summary>
/// One QEMU process under TCG (SEV off) booting the guest image, with the devices a sevshim pod
/// VM has: the agent's virtio-serial port "sevagent.0" (host end: a unix socket in the VM's own
/// temp folder), a virtio-9p share, a virtio-scsi controller and a QMP socket. Owns the process
/// and the temp folder: DisposeAsync kills QEMU if it still runs and deletes the folder.
/// </summary>
internal sealed class QemuGuest : IAsyncDisposable
{
    /// <summary>The QEMU chardev id of the agent port (query-chardev reports its frontend-open).</summary>
    public const string AgentChardevId = "agent";

    private readonly Process _process;
    private readonly StringBuilder _qemuOutput = new();

    private QemuGuest(string workDir, Process process, IReadOnlyList<string> arguments)
    {
        WorkDir = workDir;
        _process = process;
        Arguments = arguments;
    }

    public string WorkDir { get; }

    public string ShareDir => Path.Combine(WorkDir, "share");

    public string AgentSocket => Path.Combine(WorkDir, "agent.sock");

    public string QmpSocket => Path.Combine(WorkDir, "qmp.sock");

    public string ConsoleLog => Path.Combine(WorkDir, "console.log");

    /// <summary>The QEMU arguments used (for reports and failure messages).</summary>
    public IReadOnlyList<string> Arguments { get; }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>
    /// Starts QEMU. <paramref name="append"/> is the kernel command line; <paramref name="shareTag"/>
    /// the 9p mount tag the agent expects; <paramref name="kernel"/> defaults to the image's vmlinuz.
    /// </summary>
    public static QemuGuest Start(GuestImageFiles image, string append, string shareTag, string? kernel = null, int memoryMiB = 512)
    {
        ArgumentNullException.ThrowIfNull(image);
        var qemu = Prerequisites.FindTool("qemu-system-x86_64")
            ?? throw new InvalidOperationException("qemu-system-x86_64 not found: apt-get install qemu-system-x86");
        var workDir = Directory.CreateTempSubdirectory("sevshim-gi-").FullName;
        Directory.CreateDirectory(Path.Combine(workDir, "share"));
        string[] args =
        [
            "-machine", "q35,accel=tcg", "-cpu", "EPYC", "-m", memoryMiB.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "-smp", "1", "-nodefaults", "-no-reboot", "-nographic",
            "-kernel", kernel ?? image.Kernel, "-initrd", image.Initrd, "-append", append,
            "-serial", "file:" + Path.Combine(workDir, "console.log"),
            "-device", "virtio-serial-pci",
            "-chardev", $"socket,id={AgentChardevId},path={Path.Combine(workDir, "agent.sock")},server=on,wait=off",
            "-device", $"virtserialport,chardev={AgentChardevId},name=sevagent.0",
            "-fsdev", $"local,id=share,path={Path.Combine(workDir, "share")},security_model=none,multidevs=remap",
            "-device", $"virtio-9p-pci,fsdev=share,mount_tag={shareTag}",
            "-device", "virtio-scsi-pci",
            "-qmp", $"unix:{Path.Combine(workDir, "qmp.sock")},server=on,wait=off",
        ];
        var psi = new ProcessStartInfo(qemu)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var process = new Process { StartInfo = psi };
        var guest = new QemuGuest(workDir, process, args);
        process.OutputDataReceived += (_, e) => guest.AppendOutput(e.Data);
        process.ErrorDataReceived += (_, e) => guest.AppendOutput(e.Data);
        try
        {
            process.Start();
        }
        catch
        {
            Directory.Delete(workDir, recursive: true);
            process.Dispose();
            throw;
        }

        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return guest;
    }

    /// <summary>Waits until QEMU exits; false when <paramref name="timeout"/> passes first.</summary>
    public async Task<bool> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>The console log (kernel and init output), or an empty string before it exists.</summary>
    public string ReadConsole()
    {
        try
        {
            using var stream = new FileStream(ConsoleLog, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
        catch (FileNotFoundException)
        {
            return string.Empty;
        }
    }

    /// <summary>A diagnostic block for assertion messages: the last console lines and QEMU's own output.</summary>
    public string Diagnostics(int lines = 40)
    {
        var console = ReadConsole().Replace("\r", string.Empty, StringComparison.Ordinal).Split('\n');
        var tail = string.Join('\n', console.Skip(Math.Max(0, console.Length - lines)));
        string qemuOutput;
        lock (_qemuOutput)
        {
            qemuOutput = _qemuOutput.ToString();
        }

        var state = _process.HasExited ? $"QEMU exited with code {_process.ExitCode}" : "QEMU running";
        return $"\n--- {state}; console tail ({ConsoleLog}) ---\n{tail}\n--- QEMU output ---\n{qemuOutput}";
    }

    /// <summary>
    /// Polls QMP query-chardev until the guest holds the agent port open (QEMU sets the chardev's
    /// frontend-open when the guest opens a virtserialport). Data the host sends before that is
    /// discarded by the guest (ARCHITECTURE.md, virtio-serial semantics), so clients connect after it.
    /// </summary>
    public async Task WaitForAgentPortOpenAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + timeout;
        await using var qmp = await ConnectQmpAsync(deadline, cancellationToken);
        while (true)
        {
            // query-chardev returns [{"label", "filename", "frontend-open"}, ...] (QAPI ChardevInfo).
            var chardevs = await qmp.ExecuteAsync("query-chardev", cancellationToken) as JsonArray ?? [];
            var agent = chardevs.OfType<JsonObject>()
                .FirstOrDefault(c => c["label"]?.GetValue<string>() == AgentChardevId);
            if (agent?["frontend-open"]?.GetValue<bool>() == true)
            {
                return;
            }

            ThrowIfGone(deadline, "the guest to open the agent port sevagent.0");
            await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
        }
    }

    /// <summary>Connects a <see cref="QmpClient"/> (src/Qemu) to QEMU's QMP socket, retrying while QEMU creates it; the caller owns the client.</summary>
    public async Task<QmpClient> ConnectQmpAsync(DateTime deadline, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                return await QmpClient.ConnectAsync(QmpSocket, cancellationToken);
            }
            catch (IOException)
            {
                // No socket yet (QmpClient reports connect failures as IOException), or QEMU
                // closed it before its greeting.
                ThrowIfGone(deadline, "QEMU's QMP socket");
                await Task.Delay(TimeSpan.FromMilliseconds(100), cancellationToken);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        try
        {
            Directory.Delete(WorkDir, recursive: true);
        }
        catch (IOException)
        {
            // A container rootfs in the share may still be busy for a moment; the temp folder is
            // unique to this VM, so a leftover does not affect other tests.
        }
    }

    private void ThrowIfGone(DateTime deadline, string what)
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"QEMU exited while waiting for {what}{Diagnostics()}");
        }

        if (DateTime.UtcNow > deadline)
        {
            throw new TimeoutException($"timed out waiting for {what}{Diagnostics()}");
        }
    }

    private void AppendOutput(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_qemuOutput)
        {
            _qemuOutput.AppendLine(line);
        }
    }
}
