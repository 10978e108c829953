using System.Diagnostics;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using SevAgent.Protocol.V1;
using SevAgentProto;
using TestSupport;

namespace SevAgent.ComponentTests;

/// <summary>
/// A private agent on the host for component tests: its own temp dir (state, share with a
/// busybox rootfs, socket) and cgroup parent, driven through the generated client over
/// --listen unix:. Started lazily so skipped tests cost nothing; disposing stops the agent
/// (which deletes its containers), then removes the cgroups and the temp dir.
/// </summary>
public sealed class AgentProcess : IAsyncLifetime
{
    private readonly SemaphoreSlim _startGate = new(1, 1);
    private readonly StringBuilder _log = new();
    private Process? _process;
    private GrpcChannel? _channel;

    public string Dir { get; } = Path.Combine("/tmp", "sevagent-t-" + Guid.NewGuid().ToString("N")[..8]);

    public string SocketPath => Path.Combine(Dir, "agent.sock");

    public string ShareDir => Path.Combine(Dir, "share");

    public string CgroupParent { get; } = "sevagent-test-" + Guid.NewGuid().ToString("N")[..8];

    public Agent.AgentClient Client { get; private set; } = null!;

    /// <summary>The agent's stderr so far (quoted in failures).</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The agent binary: SEVSHIM_AGENT_BINARY, the dotnet build output next to the tests, or artifacts/agent/sevagent.</summary>
    /// <summary>cgroup v1 controllers with a v2 hierarchy at /sys/fs/cgroup/unified (some CI VMs).</summary>
    public static bool IsHybridCgroupHost =>
        !File.Exists("/sys/fs/cgroup/cgroup.controllers") && File.Exists("/sys/fs/cgroup/unified/cgroup.controllers");

    public static string Binary =>
        Environment.GetEnvironmentVariable("SEVSHIM_AGENT_BINARY") is { Length: > 0 } p ? p
        : File.Exists(Path.Combine(AppContext.BaseDirectory, "sevagent")) ? Path.Combine(AppContext.BaseDirectory, "sevagent")
        : RepoPaths.AgentBinary;

    public async Task StartAsync()
    {
        await _startGate.WaitAsync();
        try
        {
            if (_process is not null)
            {
                return;
            }

            Directory.CreateDirectory(Dir);
            BusyboxRootfs.Create(Path.Combine(ShareDir, "rootfs"));
            var psi = new ProcessStartInfo
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            string[] agentArgs =
            [
                Binary, "--listen", "unix:" + SocketPath, "--state-dir", Path.Combine(Dir, "state"), "--share-dir", ShareDir,
                "--cgroup-parent", CgroupParent, "--log-level", "debug",
            ];
            if (IsHybridCgroupHost)
            {
                // crun refuses hybrid cgroup hosts ("cgroups in hybrid mode not supported"); the
                // guest is pure cgroup v2, so give the agent a private mount namespace whose
                // /sys/fs/cgroup is the v2 hierarchy (controllers bound to v1 are then missing).
                psi.FileName = "unshare";
                foreach (var a in new[] { "--mount", "--propagation", "private", "sh", "-c", "mount -t cgroup2 cgroup2 /sys/fs/cgroup && exec \"$@\"", "sh" })
                {
                    psi.ArgumentList.Add(a);
                }
            }
            else
            {
                psi.FileName = agentArgs[0];
                agentArgs = agentArgs[1..];
            }

            foreach (var a in agentArgs)
            {
                psi.ArgumentList.Add(a);
            }

            _process = Process.Start(psi) ?? throw new InvalidOperationException("cannot start " + Binary);
            _process.ErrorDataReceived += (_, e) => Append(e.Data);
            _process.OutputDataReceived += (_, e) => Append(e.Data);
            _process.BeginErrorReadLine();
            _process.BeginOutputReadLine();

            _channel = AgentChannel.ForUnixSocket(SocketPath);
            Client = new Agent.AgentClient(_channel);
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (true)
            {
                if (_process.HasExited)
                {
                    throw new InvalidOperationException($"the agent exited with {_process.ExitCode}:\n{Log}");
                }

                if (File.Exists(SocketPath))
                {
                    try
                    {
                        await Client.HealthAsync(new HealthRequest(), deadline: DateTime.UtcNow.AddSeconds(10));
                        return;
                    }
                    catch (RpcException) when (DateTime.UtcNow < deadline)
                    {
                        // Kestrel not accepting yet.
                    }
                }

                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"the agent did not answer on {SocketPath} within 60 s:\n{Log}");
                }

                await Task.Delay(100);
            }
        }
        finally
        {
            _startGate.Release();
        }
    }

    /// <summary>A second, independent channel (a new connection) to the agent.</summary>
    public GrpcChannel NewChannel() => AgentChannel.ForUnixSocket(SocketPath);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_process is not null)
        {
            if (!_process.HasExited)
            {
                // SIGTERM: the agent deletes its containers while stopping.
                _ = SevAgent.Native.LibC.kill(_process.Id, 15);
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                try
                {
                    await _process.WaitForExitAsync(cts.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync();
                }
            }

            _process.Dispose();
        }

        RemoveCgroups();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover mount would keep the dir; the next run uses a new one.
        }

        _startGate.Dispose();
    }

    private void RemoveCgroups()
    {
        var roots = File.Exists("/sys/fs/cgroup/cgroup.controllers")
            ? ["/sys/fs/cgroup"]
            : Directory.EnumerateDirectories("/sys/fs/cgroup").ToArray();
        // Every container is deleted by now (the agent stops them on SIGTERM); only empty
        // directories remain.
        foreach (var root in roots)
        {
            var parent = Path.Combine(root, CgroupParent);
            if (!Directory.Exists(parent))
            {
                continue;
            }

            // cgroup directories are removed with rmdir, children first.
            foreach (var child in Directory.EnumerateDirectories(parent, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length))
            {
                TryRmdir(child);
            }

            TryRmdir(parent);
        }
    }

    private static void TryRmdir(string dir)
    {
        try
        {
            Directory.Delete(dir);
        }
        catch (IOException)
        {
            // Still populated or already gone.
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_log)
        {
            _log.AppendLine(line);
        }
    }
}
