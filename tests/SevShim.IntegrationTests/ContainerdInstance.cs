using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using TestSupport;

namespace SevShim.IntegrationTests;

/// <summary>
/// A private containerd (Debian's 1.6) for one test: its own root, state, temp, opt and socket
/// under a fresh temp directory, CRI disabled, never the machine's system instance. The shim is
/// found through a PATH entry holding a symlink <c>containerd-shim-sevshim-v2</c> to
/// <see cref="RepoPaths.ShimBinary"/>; SEVSHIM_SOCKET_DIR (inherited by the shim) keeps the shim
/// sockets out of /run/containerd. Dispose stops containerd, kills leftover shims of this instance
/// (by pid), unmounts what is left below the directory and removes it.
/// </summary>
internal sealed class ContainerdInstance : IAsyncDisposable
{
    public const string Namespace = "sevshimtest";
    public const string RuntimeName = "io.containerd.sevshim.v2";

    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly Lock _logGate = new();

    private ContainerdInstance(string dir, Process process)
    {
        Dir = dir;
        _process = process;
    }

    /// <summary>The instance's directory (short, so socket paths stay under 108 bytes).</summary>
    public string Dir { get; }

    public string Address => Path.Combine(Dir, "c.sock");

    /// <summary>containerd's ttrpc socket, which it passes to shims as TTRPC_ADDRESS.</summary>
    public string TtrpcAddress => Address + ".ttrpc";

    public string StateDir => Path.Combine(Dir, "state");

    public string SocketDir => Path.Combine(Dir, "s");

    public string FifoDir => Path.Combine(Dir, "fifo");

    /// <summary>The bundle containerd makes for a task of <see cref="Namespace"/>.</summary>
    public string BundleOf(string id) => Path.Combine(StateDir, "io.containerd.runtime.v2.task", Namespace, id);

    /// <summary>containerd's stderr so far (its log, with the shim's log lines copied in).</summary>
    public string Log
    {
        get
        {
            lock (_logGate)
            {
                return _log.ToString();
            }
        }
    }

    public static async Task<ContainerdInstance> StartAsync()
    {
        var dir = Directory.CreateTempSubdirectory("sevctd-").FullName;
        var bin = Directory.CreateDirectory(Path.Combine(dir, "bin")).FullName;
        File.CreateSymbolicLink(Path.Combine(bin, "containerd-shim-sevshim-v2"), RepoPaths.ShimBinary);
        File.WriteAllText(Path.Combine(dir, "sevshim.toml"), "[log]\nlevel = \"debug\"\n");
        var config = Path.Combine(dir, "containerd.toml");
        File.WriteAllText(config, $"""
            version = 2
            root = "{dir}/root"
            state = "{dir}/state"
            temp = "{dir}/tmp"
            plugin_dir = ""
            disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]
            [grpc]
              address = "{dir}/c.sock"
            [ttrpc]
              address = ""
            [debug]
              address = ""
              level = "debug"
            [metrics]
              address = ""
            [plugins."io.containerd.internal.v1.opt"]
              path = "{dir}/opt"
            """);
        Directory.CreateDirectory(Path.Combine(dir, "tmp"));
        Directory.CreateDirectory(Path.Combine(dir, "fifo"));

        var info = new ProcessStartInfo(Prerequisites.FindTool("containerd")!)
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(config);
        info.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        info.Environment["SEVSHIM_SOCKET_DIR"] = Path.Combine(dir, "s");
        info.Environment["SEVSHIM_CONFIG"] = Path.Combine(dir, "sevshim.toml");
        var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start containerd");
        var instance = new ContainerdInstance(dir, process);
        process.ErrorDataReceived += (_, e) => instance.Append(e.Data);
        process.OutputDataReceived += (_, e) => instance.Append(e.Data);
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            await instance.WaitReadyAsync();
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }

        return instance;
    }

    /// <summary>Runs ctr against this instance, in its namespace.</summary>
    public Task<ProcessResult> CtrAsync(params string[] args) =>
        ProcessRunner.RunAsync(Prerequisites.FindTool("ctr")!, ["--address", Address, "--namespace", Namespace, .. args], TimeSpan.FromMinutes(3));

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _ = Signals.Kill(_process.Id, Signals.SIGTERM);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        foreach (var pid in ShimProcesses.Find(RepoPaths.ShimBinary, Address))
        {
            _ = Signals.Kill(pid, Signals.SIGKILL);
        }

        foreach (var mount in MountsUnder(Dir))
        {
            _ = await ProcessRunner.RunAsync("umount", ["-l", mount], TimeSpan.FromSeconds(30));
        }

        Directory.Delete(Dir, true);
    }

    /// <summary>Mount points at or below <paramref name="dir"/>, deepest first.</summary>
    public static IReadOnlyList<string> MountsUnder(string dir) =>
        File.ReadLines("/proc/self/mountinfo")
            .Select(l => l.Split(' ')[4])
            .Where(p => p == dir || p.StartsWith(dir + "/", StringComparison.Ordinal))
            .OrderByDescending(p => p.Length)
            .ToArray();

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logGate)
        {
            _log.AppendLine(line);
        }
    }

    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"containerd exited with {_process.ExitCode}: {Log}");
            }

            if (File.Exists(Address))
            {
                using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await probe.ConnectAsync(new UnixDomainSocketEndPoint(Address));
                    var version = await CtrAsync("version");
                    if (version.ExitCode == 0)
                    {
                        return;
                    }
                }
                catch (SocketException)
                {
                }
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"containerd did not become ready: {Log}");
    }
}
