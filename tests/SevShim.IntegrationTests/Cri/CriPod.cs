using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Runtime.V1;
using Grpc.Core;
using SevShim.IntegrationTests.Support;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// One pod sandbox of a <see cref="CriContainerd"/>, driven the way kubelet drives it: the pod
/// config is sent again with every CreateContainer, containers are created then started, exits
/// are seen through ContainerStatus. Records what the leak checks need: the ids, the network
/// namespace path and the sandbox pid containerd got from the shim, and the veth CNI added.
/// </summary>
public sealed class CriPod
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromMinutes(3);
    private readonly List<string> _containerIds = [];

    private CriPod(CriContainerd c, string handler, string id, PodSandboxConfig config)
    {
        Containerd = c;
        Handler = handler;
        Id = id;
        Config = config;
    }

    public CriContainerd Containerd { get; }

    public string Handler { get; }

    /// <summary>The sandbox id (64 hex digits).</summary>
    public string Id { get; }

    public PodSandboxConfig Config { get; }

    /// <summary>The pod's IP from PodSandboxStatus (the CNI result).</summary>
    public string Ip { get; private set; } = "";

    /// <summary>The network namespace path of the pause spec (below the CRI state dir here).</summary>
    public string NetnsPath { get; private set; } = "";

    /// <summary>The pid containerd holds for the sandbox task (the pause process for runc).</summary>
    public int SandboxPid { get; private set; }

    /// <summary>The host-side veth(s) CNI added for this pod, in the instance's namespace.</summary>
    public IReadOnlyList<string> Veths { get; private set; } = [];

    /// <summary>How long RunPodSandbox took.</summary>
    public TimeSpan RunDuration { get; private set; }

    /// <summary>The ids of the containers created in this pod.</summary>
    public IReadOnlyList<string> ContainerIds
    {
        get
        {
            lock (_containerIds)
            {
                return [.. _containerIds];
            }
        }
    }

    /// <summary>RunPodSandbox, then PodSandboxStatus (verbose) for the IP, netns path and sandbox pid.</summary>
    public static async Task<CriPod> RunAsync(CriContainerd c, string handler, PodSandboxConfig config, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(c);
        var vethsBefore = await c.Netns!.LinksAsync("veth");
        var clock = Stopwatch.StartNew();
        string id;
        try
        {
            id = await c.RunPodSandboxAsync(config, handler, cancellationToken);
        }
        catch (RpcException e)
        {
            throw new CtrE2EException(
                $"[{handler}] RunPodSandbox of pod {config.Metadata.Name} failed after {clock.Elapsed.TotalSeconds:F1} s: {e.Status.StatusCode}: {e.Status.Detail}\n"
                + CriDiagnostics.Describe(c, [config.Metadata.Name, .. c.SandboxIds.TakeLast(1)]),
                e);
        }

        var pod = new CriPod(c, handler, id, config) { RunDuration = clock.Elapsed };
        pod.Veths = (await c.Netns.LinksAsync("veth")).Except(vethsBefore).ToList();
        var status = await c.Runtime.PodSandboxStatusAsync(
            new PodSandboxStatusRequest { PodSandboxId = id, Verbose = true }, deadline: Deadline(), cancellationToken: cancellationToken);
        pod.Ip = status.Status.Network?.Ip ?? "";
        if (status.Info.TryGetValue("info", out var info))
        {
            using var json = JsonDocument.Parse(info);
            var root = json.RootElement;
            pod.SandboxPid = root.TryGetProperty("pid", out var pid) ? pid.GetInt32() : 0;
            if (root.TryGetProperty("runtimeSpec", out var spec) && spec.TryGetProperty("linux", out var linux)
                && linux.TryGetProperty("namespaces", out var namespaces))
            {
                pod.NetnsPath = namespaces.EnumerateArray()
                    .Where(n => n.GetProperty("type").GetString() == "network" && n.TryGetProperty("path", out _))
                    .Select(n => n.GetProperty("path").GetString() ?? "")
                    .FirstOrDefault() ?? "";
            }
        }

        return pod;
    }

    /// <summary>CreateContainer (with the pod config) then StartContainer; returns the container id.</summary>
    public async Task<string> StartContainerAsync(ContainerConfig config, CancellationToken cancellationToken)
    {
        var id = await CreateContainerAsync(config, cancellationToken);
        await Containerd.Runtime.StartContainerAsync(new StartContainerRequest { ContainerId = id }, deadline: Deadline(), cancellationToken: cancellationToken);
        return id;
    }

    /// <summary>CreateContainer only (no task yet, CRI.md §1.2).</summary>
    public async Task<string> CreateContainerAsync(ContainerConfig config, CancellationToken cancellationToken)
    {
        var reply = await Containerd.Runtime.CreateContainerAsync(
            new CreateContainerRequest { PodSandboxId = Id, Config = config, SandboxConfig = Config },
            deadline: Deadline(),
            cancellationToken: cancellationToken);
        lock (_containerIds)
        {
            _containerIds.Add(reply.ContainerId);
        }

        return reply.ContainerId;
    }

    public async Task<ContainerStatus> StatusAsync(string containerId, CancellationToken cancellationToken) =>
        (await Containerd.Runtime.ContainerStatusAsync(
            new ContainerStatusRequest { ContainerId = containerId }, deadline: Deadline(), cancellationToken: cancellationToken)).Status;

    /// <summary>Polls ContainerStatus until the container has exited; fails with the last status seen.</summary>
    public async Task<ContainerStatus> WaitExitedAsync(string containerId, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ContainerStatus? last = null;
        var exited = await CtrWait.UntilAsync(
            async () => (last = await StatusAsync(containerId, cancellationToken)).State == ContainerState.ContainerExited,
            timeout);
        return exited ? last! : throw new TimeoutException($"container {containerId} did not exit within {timeout}; last status: {last}");
    }

    /// <summary>ExecSync with <paramref name="timeoutSeconds"/> (0: none).</summary>
    public async Task<ExecSyncResponse> ExecSyncAsync(string containerId, IEnumerable<string> cmd, long timeoutSeconds, CancellationToken cancellationToken)
    {
        var request = new ExecSyncRequest { ContainerId = containerId, Timeout = timeoutSeconds };
        request.Cmd.AddRange(cmd);
        return await Containerd.Runtime.ExecSyncAsync(request, deadline: Deadline(), cancellationToken: cancellationToken);
    }

    /// <summary>`sh -c <paramref name="script"/>` through ExecSync; its stdout, failing unless it exits 0.</summary>
    public async Task<string> ShAsync(string containerId, string script, CancellationToken cancellationToken)
    {
        var reply = await ExecSyncAsync(containerId, ["sh", "-c", script], 60, cancellationToken);
        return reply.ExitCode == 0
            ? reply.Stdout.ToStringUtf8()
            : throw new InvalidOperationException(
                $"`{script}` in {containerId} exited {reply.ExitCode}: stdout '{reply.Stdout.ToStringUtf8()}', stderr '{reply.Stderr.ToStringUtf8()}'");
    }

    /// <summary>The host path of container <paramref name="name"/>'s CRI log (log_directory + log_path).</summary>
    public string LogPathOf(string name) => Path.Combine(Config.LogDirectory, name + ".log");

    /// <summary>Waits until the log of <paramref name="name"/> holds <paramref name="text"/>; returns the whole log.</summary>
    public async Task<string> WaitForLogAsync(string name, string text, TimeSpan timeout)
    {
        var log = "";
        var seen = await CtrWait.UntilAsync(() => Task.FromResult((log = ReadShared(LogPathOf(name))).Contains(text, StringComparison.Ordinal)), timeout);
        return seen ? log : throw new TimeoutException($"'{text}' not in {LogPathOf(name)} within {timeout}; it holds:\n{log}");
    }

    /// <summary>StopPodSandbox then RemovePodSandbox, as kubelet does; errors are reported, not thrown.</summary>
    public Task StopAndRemoveAsync(CancellationToken cancellationToken) => StopAndRemoveAsync(Containerd, Id, cancellationToken);

    /// <summary>StopPodSandbox then RemovePodSandbox of <paramref name="id"/>; errors are written to stderr.</summary>
    public static async Task StopAndRemoveAsync(CriContainerd c, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(c);
        try
        {
            await c.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = id }, deadline: Deadline(), cancellationToken: cancellationToken);
            await c.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = id }, deadline: Deadline(), cancellationToken: cancellationToken);
        }
        catch (RpcException e)
        {
            Console.Error.WriteLine($"stop/remove of pod {id}: {e.Status}");
        }
    }

    /// <summary>Reads a file another process is writing; empty when it is missing.</summary>
    public static string ReadShared(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            return reader.ReadToEnd();
        }
        catch (FileNotFoundException)
        {
            return "";
        }
        catch (DirectoryNotFoundException)
        {
            return "";
        }
    }

    private static DateTime Deadline() => DateTime.UtcNow + CallTimeout;
}
