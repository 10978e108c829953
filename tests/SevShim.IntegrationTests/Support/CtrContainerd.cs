using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using TestSupport;

namespace SevShim.IntegrationTests.Support;

/// <summary>
/// A private containerd of one <see cref="ContainerdBuild"/> (1.6, 1.7 or 2.1) for end-to-end
/// tests, run with that build's own binaries, ctr and runc shim: its own root, state, temp, opt, sockets, FIFO
/// dir and shim socket dir under one temp folder, CRI off, debug log to a file (the shims' log
/// FIFOs are copied there too), artifacts/bin first on its PATH so `io.containerd.sevshim.v2`
/// resolves to the built shim, SEVSHIM_SOCKET_DIR keeping the shim sockets out of
/// /run/containerd, and SEVSHIM_CONFIG naming this instance's sevshim config (by default
/// <see cref="TcgShimConfig"/>). It never touches the host's containerd. The instance owns the
/// containerd process, every process whose command line names its folder or its id token, every
/// mount below its folder and the pods' state folders of its token, and the folder itself:
/// disposing removes all of them.
/// </summary>
public sealed class CtrContainerd : IAsyncDisposable
{
    /// <summary>The containerd namespace the tests use.</summary>
    public const string Namespace = "sevshim-e2e";

    /// <summary>The image scripts/make-busybox-image.sh builds.</summary>
    public const string Image = "docker.io/sevshim/busybox:local";

    /// <summary>The root the shim keeps pod state in (PodStateLayout.DefaultRoot).</summary>
    public const string ShimStateRoot = "/run/sevshim";

    /// <summary>
    /// A sevshim config that only raises the log level: every other key keeps the shipped default
    /// (confidential mode "sev", which this SEV-less host refuses at Create).
    /// </summary>
    public const string ShippedDefaultsShimConfig = "[log]\nlevel = \"debug\"\n";

    private static readonly TimeSpan CtrTimeout = TimeSpan.FromMinutes(4);
    private int _pid;

    private CtrContainerd(string dir, string token, ContainerdBuild build)
    {
        Dir = dir;
        Token = token;
        Build = build;
    }

    /// <summary>
    /// When true (set before the first start), containerd's environment has SEVSHIM_FAILPOINTS =
    /// <see cref="FailpointFile"/>, so every shim of this instance reads that file at its
    /// failpoints (Errors/Failpoints); the soak test writes it. Off for every other suite.
    /// </summary>
    public bool ArmFailpoints { get; private set; }

    /// <summary>The failpoint file the shims read when <see cref="ArmFailpoints"/>.</summary>
    public string FailpointFile => Path.Combine(Dir, "failpoints");

    /// <summary>Starts containerd <paramref name="build"/> with <see cref="TcgShimConfig"/> and the shims' failpoints read from <see cref="FailpointFile"/>.</summary>
    public static async Task<CtrContainerd> StartWithFailpointsAsync(ContainerdBuild build)
    {
        ArgumentNullException.ThrowIfNull(build);
        return await StartAsync(build, TcgShimConfig(), importImage: true, armFailpoints: true);
    }

    /// <summary>The containerd build this instance runs.</summary>
    public ContainerdBuild Build { get; }

    /// <summary>The private folder (root, state, sockets, logs); short, so socket paths stay under 108 bytes.</summary>
    public string Dir { get; }

    /// <summary>A short random token that prefixes every container id of this instance.</summary>
    public string Token { get; }

    /// <summary>containerd's gRPC socket.</summary>
    public string Address => Path.Combine(Dir, "c.sock");

    /// <summary>containerd's ttrpc socket, which it passes to shims as TTRPC_ADDRESS.</summary>
    public string TtrpcAddress => Address + ".ttrpc";

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

    /// <summary>Starts containerd <paramref name="build"/> with <see cref="TcgShimConfig"/>, waits until it answers and imports the busybox image.</summary>
    public static Task<CtrContainerd> StartAsync(ContainerdBuild build) => StartAsync(build, TcgShimConfig(), importImage: true);

    /// <summary>The host's containerd 1.6 with <paramref name="shimConfig"/>; see <see cref="StartAsync(ContainerdBuild, string, bool)"/>.</summary>
    public static Task<CtrContainerd> StartAsync(string shimConfig, bool importImage) =>
        StartAsync(ContainerdBuild.Of(ContainerdBuild.Host), shimConfig, importImage);

    /// <summary>
    /// Starts containerd <paramref name="build"/> with <paramref name="shimConfig"/> as the
    /// sevshim config and waits until it answers; imports the busybox image when
    /// <paramref name="importImage"/>.
    /// </summary>
    public static Task<CtrContainerd> StartAsync(ContainerdBuild build, string shimConfig, bool importImage) =>
        StartAsync(build, shimConfig, importImage, armFailpoints: false);

    private static async Task<CtrContainerd> StartAsync(ContainerdBuild build, string shimConfig, bool importImage, bool armFailpoints)
    {
        ArgumentNullException.ThrowIfNull(build);
        var token = "e" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var dir = Path.Combine(Path.GetTempPath(), "sevshim-" + token);
        var instance = new CtrContainerd(dir, token, build) { ArmFailpoints = armFailpoints };
        try
        {
            Directory.CreateDirectory(dir);
            foreach (var sub in new[] { instance.FifoDir, instance.ShimSocketDir, Path.Combine(dir, "tmp") })
            {
                Directory.CreateDirectory(sub);
            }

            File.WriteAllText(Path.Combine(dir, "config.toml"), CtrConfigFiles.Containerd(instance));
            File.WriteAllText(instance.ShimConfigPath, shimConfig);
            await instance.LaunchAsync();
            if (importImage)
            {
                await instance.ImportImageAsync();
            }

            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    /// <summary>The sevshim config of the ctr suites: the built guest image, QEMU under TCG, no SEV (the test machines have none).</summary>
    public static string TcgShimConfig()
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
        CtrCommand.Start(Build.Ctr, CtrArgs(args), stdoutHashSkip);

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

    /// <summary>containerd's whole log so far (with the shims' lines).</summary>
    public string ReadLog()
    {
        using var stream = new FileStream(LogPath, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
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
        KeepLogs();
        TryDelete(Dir);
        if (Directory.Exists(ShimStateRoot))
        {
            foreach (var pod in Directory.EnumerateDirectories(ShimStateRoot, Token + "*"))
            {
                TryDelete(pod);
            }
        }
    }

    /// <summary>
    /// Copies containerd's log and every pod console still present to SEVSHIM_E2E_LOG_DIR (set by
    /// scripts/test.sh), so a failure can be read in full after the fixture has cleaned up.
    /// </summary>
    private void KeepLogs()
    {
        var keep = Environment.GetEnvironmentVariable("SEVSHIM_E2E_LOG_DIR");
        if (string.IsNullOrEmpty(keep))
        {
            return;
        }

        try
        {
            Directory.CreateDirectory(keep);
            if (File.Exists(LogPath))
            {
                File.Copy(LogPath, Path.Combine(keep, $"containerd-{Token}.log"), overwrite: true);
            }

            foreach (var pod in Directory.Exists(ShimStateRoot) ? Directory.EnumerateDirectories(ShimStateRoot, Token + "*") : [])
            {
                var console = Path.Combine(pod, "console.log");
                if (File.Exists(console))
                {
                    File.Copy(console, Path.Combine(keep, $"console-{Path.GetFileName(pod)}.log"), overwrite: true);
                }
            }
        }
        catch (IOException e)
        {
            Console.Error.WriteLine($"keeping the e2e logs in {keep} failed: {e.Message}");
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
        // containerd finds a shim binary on PATH: artifacts/bin first resolves
        // io.containerd.sevshim.v2, then an unpacked build's folder (which also holds the build's
        // containerd itself) gives its own containerd-shim-runc-v2.
        // containerd 1.6 looks for a shim first in its working directory (BinaryPath joins the
        // runtime name's folder, ".", to the binary name) and only then on PATH. The test's own
        // folder holds the JIT build of the shim (a project reference), so containerd runs in
        // its private folder: the Native AOT artefact on PATH, the binary users get, is tested.
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = Dir };
        foreach (var arg in new[] { "-c", "exec \"$1\" --config \"$2\" </dev/null >>\"$3\" 2>&1", "sh", Build.Containerd, Path.Combine(Dir, "config.toml"), LogPath })
        {
            info.ArgumentList.Add(arg);
        }

        info.Environment["PATH"] = InstancePath(Build);
        info.Environment["SEVSHIM_CONFIG"] = ShimConfigPath;
        info.Environment["SEVSHIM_SOCKET_DIR"] = ShimSocketDir;
        if (ArmFailpoints)
        {
            info.Environment["SEVSHIM_FAILPOINTS"] = FailpointFile;
        }

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

    /// <summary>Builds the busybox image with scripts/make-busybox-image.sh and imports it as <see cref="Image"/>.</summary>
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

    /// <summary>
    /// The PATH a containerd of <paramref name="build"/> runs with: the sevshim shim's folder, the
    /// build's own binaries (its runc shim), then the test's PATH (runc, Debian 12's).
    /// </summary>
    public static string InstancePath(ContainerdBuild build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var shimDir = Path.GetDirectoryName(RepoPaths.ShimBinary)!;
        var rest = Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin";
        return build.BinDir is null ? $"{shimDir}:{rest}" : $"{shimDir}:{build.BinDir}:{rest}";
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
