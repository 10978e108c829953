using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using TestSupport;

namespace SevShim.IntegrationTests.Support;

/// <summary>
/// A private containerd 1.6 for `ctr` end-to-end tests: its own root, state, sockets, FIFO dir and
/// shim socket dir under one temp folder, CRI off, debug log to a file (the shims' log FIFOs are
/// copied there too), artifacts/bin first on its PATH so `io.containerd.sevshim.v2` resolves to the
/// built shim, and SEVSHIM_CONFIG naming a TCG/no-SEV config. It never touches the host's
/// containerd. The instance owns the containerd process, every process whose command line names
/// its folder or its id token, every mount below its folder, and the folder itself: disposing
/// removes all of them.
/// </summary>
public sealed class CtrContainerd : IAsyncDisposable
{
    /// <summary>The containerd namespace the tests use.</summary>
    public const string Namespace = "sevshim-e2e";

    /// <summary>The image scripts/make-busybox-image.sh builds.</summary>
    public const string Image = "docker.io/sevshim/busybox:local";

    /// <summary>The root the shim keeps pod state in (PodStateLayout.DefaultRoot).</summary>
    public const string ShimStateRoot = "/run/sevshim";

    private static readonly TimeSpan CtrTimeout = TimeSpan.FromMinutes(4);
    private int _pid;

    private CtrContainerd(string dir, string token)
    {
        Dir = dir;
        Token = token;
    }

    /// <summary>The private folder (root, state, sockets, logs).</summary>
    public string Dir { get; }

    /// <summary>A short random token that prefixes every container id of this instance.</summary>
    public string Token { get; }

    /// <summary>containerd's gRPC socket.</summary>
    public string Address => Path.Combine(Dir, "c.sock");

    /// <summary>containerd's log (with the shims' logs).</summary>
    public string LogPath => Path.Combine(Dir, "containerd.log");

    /// <summary>Where ctr makes its stdio FIFOs.</summary>
    public string FifoDir => Path.Combine(Dir, "fifo");

    /// <summary>SEVSHIM_SOCKET_DIR given to the shims.</summary>
    public string ShimSocketDir => Path.Combine(Dir, "s");

    /// <summary>containerd's state dir (task bundles below io.containerd.runtime.v2.task).</summary>
    public string StateDir => Path.Combine(Dir, "state");

    /// <summary>containerd's root dir.</summary>
    public string RootDir => Path.Combine(Dir, "root");

    /// <summary>The sevshim config (SEVSHIM_CONFIG).</summary>
    public string ShimConfigPath => Path.Combine(Dir, "sevshim.toml");

    /// <summary>containerd's pid.</summary>
    public int Pid => _pid;

    /// <summary>A container id unique to this instance: token + name.</summary>
    public string NewId(string name) => $"{Token}-{name}";

    /// <summary>The bundle folder containerd makes for <paramref name="id"/>.</summary>
    public string BundleOf(string id) => Path.Combine(StateDir, "io.containerd.runtime.v2.task", Namespace, id);

    /// <summary>Starts containerd, waits until it answers and imports the busybox image.</summary>
    public static async Task<CtrContainerd> StartAsync()
    {
        var token = "e" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var dir = Path.Combine(Path.GetTempPath(), "sevshim-" + token);
        var instance = new CtrContainerd(dir, token);
        try
        {
            Directory.CreateDirectory(dir);
            Directory.CreateDirectory(instance.FifoDir);
            Directory.CreateDirectory(instance.ShimSocketDir);
            File.WriteAllText(Path.Combine(dir, "config.toml"), instance.ContainerdConfig());
            File.WriteAllText(instance.ShimConfigPath, ShimConfig());
            await instance.LaunchAsync();
            await instance.ImportImageAsync();
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs ctr against this instance (global flags added) and waits for it.</summary>
    public async Task<CtrResult> CtrAsync(params string[] args) => await CtrAsync(CtrTimeout, args);

    /// <summary>Runs ctr with a timeout.</summary>
    public async Task<CtrResult> CtrAsync(TimeSpan timeout, params string[] args)
    {
        await using var ctr = StartCtr(args);
        ctr.CloseStdin();
        return await ctr.WaitAsync(timeout);
    }

    /// <summary>Starts ctr against this instance; the caller owns the returned command.</summary>
    public CtrCommand StartCtr(IEnumerable<string> args, long stdoutHashSkip = 0) =>
        CtrCommand.Start("ctr", CtrArgs(args), stdoutHashSkip);

    /// <summary>ctr's global flags for this instance followed by <paramref name="args"/>.</summary>
    public IReadOnlyList<string> CtrArgs(IEnumerable<string> args) => ["-a", Address, "-n", Namespace, .. args];

    /// <summary>
    /// `ctr run` arguments: the runtime, this instance's FIFO dir, <paramref name="flags"/>, the
    /// image, <paramref name="id"/> and the command.
    /// </summary>
    public IReadOnlyList<string> RunArgs(string runtime, string id, IEnumerable<string> flags, params string[] command) =>
        ["run", "--runtime", runtime, "--fifo-dir", FifoDir, .. flags, Image, id, .. command];

    /// <summary>The STATUS column `ctr task ls` shows for <paramref name="id"/>, or null when it lists no such task.</summary>
    public async Task<string?> TaskStatusAsync(string id)
    {
        var ls = (await CtrAsync("task", "ls")).EnsureSuccess();
        return ls.Stdout.Split('\n')
            .Select(line => line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
            .Where(f => f.Length >= 3 && f[0] == id)
            .Select(f => f[2])
            .FirstOrDefault();
    }

    /// <summary>
    /// Removes a container whatever state it is in (SIGKILL, task delete -f, container delete),
    /// ignoring "not found"; used by every test's cleanup.
    /// </summary>
    public async Task RemoveContainerAsync(string id)
    {
        var timeout = TimeSpan.FromMinutes(2);
        await TryCtrAsync(timeout, "task", "kill", "-s", "SIGKILL", id);
        await TryCtrAsync(timeout, "task", "delete", "-f", id);
        await TryCtrAsync(timeout, "container", "delete", id);
    }

    /// <summary>Stops containerd (SIGTERM, then SIGKILL) and starts it again on the same folders; shims keep running.</summary>
    public async Task RestartAsync()
    {
        await StopContainerdAsync();
        await LaunchAsync();
    }

    /// <summary>The last <paramref name="lines"/> lines of containerd's log (with the shims' lines).</summary>
    public string LogTail(int lines) => Tail(LogPath, lines);

    /// <summary>The last lines of a file, or a note that it is missing.</summary>
    public static string Tail(string path, int lines)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            stream.Seek(Math.Max(0, stream.Length - (256 * 1024)), SeekOrigin.Begin);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n');
            return string.Join('\n', all.TakeLast(lines));
        }
        catch (IOException e)
        {
            return $"({path}: {e.Message})";
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (_pid != 0 && CtrHost.IsAlive(_pid))
        {
            var listed = await TryCtrAsync(TimeSpan.FromMinutes(1), "container", "ls", "-q");
            foreach (var id in listed?.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [])
            {
                await RemoveContainerAsync(id);
            }
        }

        await StopContainerdAsync();

        // Shims and QEMUs this instance started: their command lines name its folder (-address)
        // or its token (container ids, QEMU -name, /run/sevshim/<id> paths).
        foreach (var needle in new[] { Dir, Token })
        {
            foreach (var (pid, _) in CtrHost.ProcessesWith(needle))
            {
                CtrHost.Kill(pid);
                await CtrHost.WaitGoneAsync(pid, TimeSpan.FromSeconds(30));
            }
        }

        await CtrHost.UnmountAllAsync(Dir);
        await CtrHost.UnmountAllAsync(Path.Combine(ShimStateRoot, Token));
        TryDelete(Dir);
        if (Directory.Exists(ShimStateRoot))
        {
            foreach (var pod in Directory.EnumerateDirectories(ShimStateRoot, Token + "*"))
            {
                TryDelete(pod);
            }
        }
    }

    private async Task<CtrResult?> TryCtrAsync(TimeSpan timeout, params string[] args)
    {
        try
        {
            return await CtrAsync(timeout, args);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    private async Task LaunchAsync()
    {
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var arg in new[] { "-c", "exec containerd --config \"$1\" </dev/null >>\"$2\" 2>&1", "sh", Path.Combine(Dir, "config.toml"), LogPath })
        {
            info.ArgumentList.Add(arg);
        }

        var binDir = Path.GetDirectoryName(RepoPaths.ShimBinary)!;
        info.Environment["PATH"] = binDir + ":" + (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin");
        info.Environment["SEVSHIM_CONFIG"] = ShimConfigPath;
        info.Environment["SEVSHIM_SOCKET_DIR"] = ShimSocketDir;
        using (var process = Process.Start(info) ?? throw new InvalidOperationException("could not start containerd"))
        {
            _pid = process.Id;
        }

        var ready = await CtrWait.UntilAsync(
            async () => CtrHost.IsAlive(_pid) && (await TryCtrAsync(TimeSpan.FromSeconds(30), "version"))?.ExitCode == 0,
            TimeSpan.FromMinutes(2));
        if (!ready)
        {
            throw new InvalidOperationException($"private containerd (pid {_pid}) did not answer on {Address}:\n{LogTail(60)}");
        }
    }

    private async Task StopContainerdAsync()
    {
        if (_pid == 0 || !CtrHost.IsAlive(_pid))
        {
            return;
        }

        using (var process = Process.GetProcessById(_pid))
        {
            // SIGTERM lets containerd close its sockets and keep the shims running (a restart).
            await using (var term = CtrCommand.Start("kill", ["-TERM", _pid.ToString(CultureInfo.InvariantCulture)]))
            {
                term.CloseStdin();
                await term.WaitAsync(TimeSpan.FromSeconds(30));
            }

            if (!await CtrHost.WaitGoneAsync(_pid, TimeSpan.FromSeconds(30)))
            {
                process.Kill();
                await CtrHost.WaitGoneAsync(_pid, TimeSpan.FromSeconds(30));
            }
        }

        _pid = 0;
    }

    private async Task ImportImageAsync()
    {
        var archive = Path.Combine(Dir, "busybox-oci.tar");
        await using (var make = CtrCommand.Start("bash", [Path.Combine(RepoPaths.Root, "scripts", "make-busybox-image.sh"), archive, Image]))
        {
            make.CloseStdin();
            (await make.WaitAsync(TimeSpan.FromMinutes(3))).EnsureSuccess();
        }

        (await CtrAsync("images", "import", archive)).EnsureSuccess();
    }

    private string ContainerdConfig() => string.Create(CultureInfo.InvariantCulture, $"""
        version = 2
        root = "{RootDir}"
        state = "{StateDir}"
        disabled_plugins = ["io.containerd.grpc.v1.cri"]

        [grpc]
          address = "{Address}"

        [ttrpc]
          address = "{Address}.ttrpc"

        [debug]
          address = ""
          level = "debug"

        [metrics]
          address = ""

        [plugins."io.containerd.internal.v1.opt"]
          path = "{Path.Combine(Dir, "opt")}"
        """);

    private static string ShimConfig()
    {
        var guest = RepoPaths.GuestImageDir;
        return $"""
            # sevshim end-to-end tests: QEMU under TCG, no SEV (the test machines have none).
            [vm]
            kernel = "{Path.Combine(guest, "vmlinuz")}"
            initrd = "{Path.Combine(guest, "initrd.img")}"
            vcpus = 1
            memory_mib = 512

            [confidential]
            mode = "none"

            [log]
            level = "debug"
            """;
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (Directory.Exists(dir))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (IOException)
        {
            // A busy leftover is reported by the leak test, not by cleanup.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
