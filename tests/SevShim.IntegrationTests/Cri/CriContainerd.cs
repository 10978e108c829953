using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Runtime.V1;
using Grpc.Core;
using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// A private containerd of one <see cref="ContainerdBuild"/> (1.6, 1.7 or 2.1, with its own
/// binaries, ctr and runc shim) with its CRI plugin on, for the CRI suite: its own root, state, temp,
/// sockets, CNI conf dir, host-local lease dir, runc root and shim socket dir under one temp
/// folder, started with nsenter in a network namespace of its own (<see cref="CriNetns"/>), with
/// the handlers `runc` and `sevshim` (<see cref="CriConfigFiles"/>), the locally built pause and
/// busybox images imported into namespace k8s.io, and artifacts/bin first on its PATH plus
/// SEVSHIM_CONFIG / SEVSHIM_SOCKET_DIR as <see cref="CtrContainerd"/> gives them. Only the
/// network namespace is entered: mounts stay in the host's mount namespace, where the leak
/// checks and the cleanup see them. Disposing removes every pod, stops containerd, and then kills,
/// unmounts and deletes whatever of this instance is left (see <see cref="CriCleanup"/>).
/// </summary>
public sealed class CriContainerd : IAsyncDisposable
{
    /// <summary>The containerd namespace the CRI plugin keeps its objects in.</summary>
    public const string Namespace = "k8s.io";

    /// <summary>The busybox test image (scripts/make-busybox-image.sh), the same as the ctr suites'.</summary>
    public const string Image = CtrContainerd.Image;

    private readonly List<string> _sandboxIds = [];
    private int _pid;

    /// <summary>Where scripts/install.sh puts the shim (README, "Kubernetes", step 1).</summary>
    public const string InstalledShim = "/usr/local/bin/containerd-shim-sevshim-v2";

    /// <summary>The configuration scripts/install.sh installs, which the shipped snippet's ConfigPath names.</summary>
    public const string InstalledConfig = "/etc/sevshim/config.toml";

    private CriContainerd(string dir, string token, ContainerdBuild build, bool installed)
    {
        Dir = dir;
        Token = token;
        Build = build;
        UsesInstalledShim = installed;
    }

    /// <summary>
    /// True for an instance set up as the README tells an operator: the shipped snippet unchanged
    /// (ConfigPath = <see cref="InstalledConfig"/>), the shim found on PATH in /usr/local/bin, no
    /// SEVSHIM_CONFIG or SEVSHIM_SOCKET_DIR in containerd's environment (so the shims' sockets
    /// are in /run/containerd/s, which <see cref="CriLeaks"/> also checks).
    /// </summary>
    public bool UsesInstalledShim { get; }

    /// <summary>The file the sevshim handler's options.ConfigPath names.</summary>
    public string HandlerConfigPath => UsesInstalledShim ? InstalledConfig : ShimConfigPath;

    /// <summary>The containerd build this instance runs.</summary>
    public ContainerdBuild Build { get; }

    /// <summary>The private folder; short, so the socket paths stay under 108 bytes.</summary>
    public string Dir { get; }

    /// <summary>A short random token naming this instance's network namespace, CNI network and cgroup parent.</summary>
    public string Token { get; }

    /// <summary>containerd's gRPC socket, which also serves the CRI.</summary>
    public string Address => Path.Combine(Dir, "c.sock");

    /// <summary>containerd's log (with the shims' logs).</summary>
    public string LogPath => Path.Combine(Dir, "containerd.log");

    public string RootDir => Path.Combine(Dir, "root");

    public string StateDir => Path.Combine(Dir, "state");

    /// <summary>The CRI plugin's root (sandboxes/&lt;id&gt; with hostname, hosts, resolv.conf; containers/&lt;id&gt;).</summary>
    public string CriRootDir => Path.Combine(RootDir, "io.containerd.grpc.v1.cri");

    /// <summary>The CRI plugin's state (sandboxes/&lt;id&gt;/shm, containers/&lt;id&gt;/io, netns/cni-…).</summary>
    public string CriStateDir => Path.Combine(StateDir, "io.containerd.grpc.v1.cri");

    /// <summary>runc's state root (the runc handler's options.Root).</summary>
    public string RuncRoot => Path.Combine(Dir, "runc");

    /// <summary>SEVSHIM_SOCKET_DIR given to the sevshim shims.</summary>
    public string ShimSocketDir => Path.Combine(Dir, "s");

    /// <summary>The sevshim config named by the handler's options.ConfigPath and by SEVSHIM_CONFIG.</summary>
    public string ShimConfigPath => Path.Combine(Dir, "sevshim.toml");

    public string CniConfDir => Path.Combine(Dir, "cni");

    /// <summary>Where the tests' pods keep their container logs (PodSandboxConfig.log_directory).</summary>
    public string PodLogRoot => Path.Combine(Dir, "logs");

    /// <summary>The CNI network's name (and libcni's cache key prefix).</summary>
    public string NetworkName => "sevcri-" + Token;

    /// <summary>The cgroup parent the tests give every pod (kubelet always gives one).</summary>
    public string CgroupParent => "/sevcri-" + Token;

    /// <summary>The network namespace containerd and CNI's bridge live in.</summary>
    public CriNetns? Netns { get; private set; }

    /// <summary>The CRI client (null until containerd answers).</summary>
    public CriChannel? Channel { get; private set; }

    /// <summary>containerd's pid.</summary>
    public int Pid => _pid;

    /// <summary>Every sandbox id this instance created through <see cref="RunPodSandboxAsync"/>, for the cleanup.</summary>
    public IReadOnlyList<string> SandboxIds
    {
        get
        {
            lock (_sandboxIds)
            {
                return [.. _sandboxIds];
            }
        }
    }

    /// <summary>The CRI runtime client.</summary>
    public RuntimeService.RuntimeServiceClient Runtime =>
        (Channel ?? throw new InvalidOperationException("containerd has not started")).Runtime;

    /// <summary>A task bundle folder (pause or app container).</summary>
    public string BundleOf(string id) => Path.Combine(StateDir, "io.containerd.runtime.v2.task", Namespace, id);

    /// <summary>
    /// The socket a shim v2 of pod <paramref name="sandboxId"/> listens on: sha256 of
    /// filepath.Join(address, namespace, grouping id) in <paramref name="socketDir"/>, as
    /// containerd's shim package computes it (SHIM-PROTOCOL 4.4). runc's is in /run/containerd/s.
    /// </summary>
    public string ShimSocketOf(string sandboxId, string socketDir) =>
        Path.Combine(socketDir, Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes($"{Address}/{Namespace}/{sandboxId}"))));

    /// <summary>Starts the instance: namespace, files, containerd, images; returns once the CRI answers with its network ready.</summary>
    public static Task<CriContainerd> StartAsync(CancellationToken cancellationToken) =>
        StartAsync(ContainerdBuild.Of(ContainerdBuild.Host), cancellationToken);

    /// <summary>Starts an instance of <paramref name="build"/>; see <see cref="StartAsync(CancellationToken)"/>.</summary>
    public static Task<CriContainerd> StartAsync(ContainerdBuild build, CancellationToken cancellationToken) =>
        StartAsync(build, installed: false, cancellationToken);

    /// <summary>The host's containerd with the installed shim and configuration (see <see cref="UsesInstalledShim"/>).</summary>
    public static Task<CriContainerd> StartInstalledAsync(CancellationToken cancellationToken) =>
        StartAsync(ContainerdBuild.Of(ContainerdBuild.Host), installed: true, cancellationToken);

    private static async Task<CriContainerd> StartAsync(ContainerdBuild build, bool installed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(build);
        var token = "c" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var instance = new CriContainerd(Path.Combine(Path.GetTempPath(), "sevcri-" + token), token, build, installed);
        try
        {
            foreach (var dir in new[] { instance.Dir, Path.Combine(instance.Dir, "tmp"), instance.ShimSocketDir, instance.CniConfDir, instance.PodLogRoot })
            {
                Directory.CreateDirectory(dir);
            }

            File.WriteAllText(Path.Combine(instance.Dir, "config.toml"), CriConfigFiles.Containerd(instance));
            File.WriteAllText(Path.Combine(instance.CniConfDir, "10-sevcri.conflist"), CriConfigFiles.Conflist(instance));
            if (!installed)
            {
                File.WriteAllText(instance.ShimConfigPath, CtrContainerd.TcgShimConfig());
            }

            instance.Netns = await CriNetns.CreateAsync(instance.NetworkName);
            await instance.LaunchAsync(cancellationToken);
            await instance.ImportImagesAsync(cancellationToken);
            return instance;
        }
        catch
        {
            await instance.DisposeAsync();
            throw;
        }
    }

    /// <summary>RunPodSandbox, remembering the id for the cleanup.</summary>
    public async Task<string> RunPodSandboxAsync(PodSandboxConfig config, string handler, CancellationToken cancellationToken)
    {
        var reply = await Runtime.RunPodSandboxAsync(
            new RunPodSandboxRequest { Config = config, RuntimeHandler = handler },
            deadline: DateTime.UtcNow.AddMinutes(3),
            cancellationToken: cancellationToken);
        lock (_sandboxIds)
        {
            _sandboxIds.Add(reply.PodSandboxId);
        }

        return reply.PodSandboxId;
    }

    /// <summary>The last <paramref name="lines"/> lines of containerd's log.</summary>
    public string LogTail(int lines) => CtrContainerd.Tail(LogPath, lines);

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Channel is not null && _pid != 0 && CtrHost.IsAlive(_pid))
        {
            await CriCleanup.RemoveAllPodsAsync(this);
        }

        await StopContainerdAsync();
        Channel?.Dispose();
        await CriCleanup.RemoveLeftoversAsync(this);
        if (Netns is not null)
        {
            await Netns.DisposeAsync();
        }

        CriCleanup.KeepLog(this);
        CriCleanup.TryDelete(Dir);
    }

    private async Task LaunchAsync(CancellationToken cancellationToken)
    {
        // As CtrContainerd does, and for its reasons: the working directory is the private folder,
        // because containerd 1.6 looks for a shim binary in its working directory before PATH
        // (the test's output folder holds the JIT build of the shim); artifacts/bin first on
        // PATH, so io.containerd.sevshim.v2 is the Native AOT shim users get.
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = Dir };
        foreach (var arg in new[]
        {
            "-c", "exec nsenter --net=\"$1\" \"$2\" --config \"$3\" </dev/null >>\"$4\" 2>&1", "sh",
            Netns!.Path, Build.Containerd, Path.Combine(Dir, "config.toml"), LogPath,
        })
        {
            info.ArgumentList.Add(arg);
        }

        if (UsesInstalledShim)
        {
            // As a node's containerd runs: the installed shim on PATH, nothing else set.
            info.Environment.Remove("SEVSHIM_CONFIG");
            info.Environment.Remove("SEVSHIM_SOCKET_DIR");
            var binDir = Build.BinDir is null ? "" : Build.BinDir + ":";
            info.Environment["PATH"] = $"{Path.GetDirectoryName(InstalledShim)}:{binDir}/usr/sbin:/usr/bin:/sbin:/bin";
        }
        else
        {
            info.Environment["PATH"] = CtrContainerd.InstancePath(Build);
            info.Environment["SEVSHIM_CONFIG"] = ShimConfigPath;
            info.Environment["SEVSHIM_SOCKET_DIR"] = ShimSocketDir;
        }
        using (var process = Process.Start(info) ?? throw new InvalidOperationException("could not start containerd"))
        {
            _pid = process.Id;
        }

        Channel = new CriChannel(Address);
        string? lastError = null;
        var ready = await CtrWait.UntilAsync(
            async () =>
            {
                if (!CtrHost.IsAlive(_pid) || !File.Exists(Address))
                {
                    return false;
                }

                try
                {
                    var status = await Runtime.StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: cancellationToken);
                    var network = status.Status.Conditions.FirstOrDefault(c => c.Type == "NetworkReady");
                    lastError = network is { Status: true } ? null : $"NetworkReady is {network?.Status}: {network?.Reason} {network?.Message}";
                    return lastError is null;
                }
                catch (RpcException e)
                {
                    lastError = e.Status.ToString();
                    return false;
                }
            },
            TimeSpan.FromMinutes(2));
        if (!ready)
        {
            throw new InvalidOperationException(
                $"private containerd (pid {_pid}) did not serve a ready CRI on {Address} ({lastError ?? "no answer"}):\n{LogTail(60)}");
        }
    }

    /// <summary>
    /// Builds the pause image (busybox with a long sleep as its command, CRI.md §5.5) and the
    /// busybox image with scripts/make-busybox-image.sh and imports both into k8s.io with ctr,
    /// which unpacks them for the overlayfs snapshotter; then waits until the CRI's image store
    /// (fed by containerd's image events) lists both.
    /// </summary>
    private async Task ImportImagesAsync(CancellationToken cancellationToken)
    {
        var script = Path.Combine(RepoPaths.Root, "scripts", "make-busybox-image.sh");
        foreach (var (name, archive, cmd) in new[]
        {
            (CriConfigFiles.PauseImage, Path.Combine(Dir, "pause-oci.tar"), "[\"/bin/sleep\",\"2147483647\"]"),
            (Image, Path.Combine(Dir, "busybox-oci.tar"), "[\"sh\"]"),
        })
        {
            await RunAsync("bash", [script, archive, name, cmd], TimeSpan.FromMinutes(3));
            await RunAsync(Build.Ctr, ["-a", Address, "-n", Namespace, "images", "import", archive], TimeSpan.FromMinutes(3));
            var listed = await CtrWait.UntilAsync(
                async () => (await Channel!.Images.ImageStatusAsync(
                    new ImageStatusRequest { Image = new ImageSpec { Image = name } },
                    deadline: DateTime.UtcNow.AddSeconds(10),
                    cancellationToken: cancellationToken)).Image is not null,
                TimeSpan.FromSeconds(60));
            if (!listed)
            {
                throw new InvalidOperationException($"the CRI does not list {name} 60 s after `ctr images import`:\n{LogTail(40)}");
            }
        }
    }

    private static async Task RunAsync(string file, IReadOnlyList<string> args, TimeSpan timeout)
    {
        await using var command = CtrCommand.Start(file, args);
        command.CloseStdin();
        (await command.WaitAsync(timeout)).EnsureSuccess();
    }

    private async Task StopContainerdAsync()
    {
        if (_pid == 0 || !CtrHost.IsAlive(_pid))
        {
            return;
        }

        using (var process = Process.GetProcessById(_pid))
        {
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
}
