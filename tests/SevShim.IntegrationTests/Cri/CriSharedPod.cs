using System.Diagnostics;
using Runtime.V1;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// The pod most scenarios share, one per handler, so that the sevshim side boots one VM for them
/// all: an init container that writes a marker into /dev/shm and exits, then `app` (reads the
/// marker, writes one line to stdout and one to stderr, then sleeps as PID 1 with a 128 MiB
/// limit) and `peer` (busybox httpd on 127.0.0.1:7070 only). Scenarios that stop or kill a
/// container start their own containers in this pod; none stops app or peer.
/// </summary>
public sealed class CriSharedPod
{
    /// <summary>The marker the init container writes, read by app at its start.</summary>
    public const string InitMarker = "init-ran";

    /// <summary>The port peer serves on, on the pod's loopback only.</summary>
    public const int PeerPort = 7070;

    /// <summary>What peer serves at /hello.</summary>
    public const string PeerReply = "peer-hello";

    /// <summary>app's memory limit before any update.</summary>
    public static readonly long AppMemoryLimit = CriPodSpec.Mebibytes(128);

    private CriSharedPod(CriPod pod) => Pod = pod;

    /// <summary>app's limit as a cgroup file shows it before any update.</summary>
    public static string AppMemoryLimitText() => AppMemoryLimit.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public CriPod Pod { get; }

    /// <summary>The init container's status once it exited.</summary>
    public ContainerStatus Init { get; private set; } = new();

    /// <summary>app's status right after it started.</summary>
    public ContainerStatus AppAtStart { get; private set; } = new();

    public string AppId { get; private set; } = "";

    public string PeerId { get; private set; } = "";

    /// <summary>From the RunPodSandbox call to StartContainer of the first (init) container returning.</summary>
    public TimeSpan ToFirstContainerRunning { get; private set; }

    /// <summary>The hostname the pod config gives.</summary>
    public string Hostname => Pod.Config.Hostname;

    /// <summary>Runs the pod and its containers in kubelet's order: init to completion, then app and peer.</summary>
    public static async Task<CriSharedPod> StartAsync(CriContainerd c, string handler, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var pod = await CriPod.RunAsync(c, handler, CriPodSpec.Pod(c, "shared-" + handler, $"cri-{handler}-shared"), cancellationToken);
        var shared = new CriSharedPod(pod);
        var init = await pod.StartContainerAsync(
            CriPodSpec.Shell("init", $"echo {InitMarker} > /dev/shm/init-marker; echo init-done; sleep 1"), cancellationToken);
        shared.ToFirstContainerRunning = clock.Elapsed;
        shared.Init = await pod.WaitExitedAsync(init, TimeSpan.FromMinutes(1), cancellationToken);

        shared.AppId = await pod.StartContainerAsync(
            CriPodSpec.Shell("app", "cat /dev/shm/init-marker; echo to-stdout; echo to-stderr >&2; exec sleep 2147483647", AppMemoryLimit),
            cancellationToken);
        shared.AppAtStart = await pod.StatusAsync(shared.AppId, cancellationToken);
        shared.PeerId = await pod.StartContainerAsync(
            CriPodSpec.Shell("peer", $"mkdir -p /tmp/www && echo {PeerReply} > /tmp/www/hello && exec httpd -f -p 127.0.0.1:{PeerPort} -h /tmp/www"),
            cancellationToken);
        await WaitPeerServingAsync(pod, shared.PeerId, cancellationToken);
        CriTimings.Record(handler, "shared pod: RunPodSandbox", pod.RunDuration);
        CriTimings.Record(handler, "shared pod: RunPodSandbox to first container running", shared.ToFirstContainerRunning);
        return shared;
    }

    /// <summary>
    /// StartContainer returns once httpd is exec'd, not once it listens: a Kubernetes user would
    /// gate on a readiness probe, and so do the scenarios. CI met the gap (nc refused 10 ms
    /// after StartContainer under a loaded TCG guest). The probe runs in peer itself and asks
    /// for the page, so it proves the listener, not just the process.
    /// </summary>
    private static async Task WaitPeerServingAsync(CriPod pod, string peerId, CancellationToken cancellationToken)
    {
        const string Probe =
            "i=0; while [ $i -lt 300 ]; do " +
            "printf 'GET /hello HTTP/1.0\\r\\n\\r\\n' | nc 127.0.0.1 {0} 2>/dev/null | grep -q {1} && exit 0; " +
            "i=$((i+1)); sleep 0.1; done; echo 'peer httpd never served /hello' >&2; exit 1";
        await pod.ShAsync(peerId, string.Format(System.Globalization.CultureInfo.InvariantCulture, Probe, PeerPort, PeerReply), cancellationToken);
    }
}
