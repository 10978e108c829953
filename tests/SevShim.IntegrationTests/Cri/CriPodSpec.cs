using Runtime.V1;
using TestSupport;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// Pod and container configs as kubelet sends them for an ordinary pod (CRI.md §1.1): pod-level
/// network and IPC, a private PID namespace per container (no shareProcessNamespace), a cgroup
/// parent, the pod's resource sums and the shipped RuntimeClass's overhead, a DNSConfig, a hostname, one pod
/// annotation the sevshim handler passes on, and a log directory kubelet would have created.
/// </summary>
public static class CriPodSpec
{
    /// <summary>The Kubernetes namespace of every test pod.</summary>
    public const string KubeNamespace = "sevshim-e2e";

    /// <summary>The pod's DNS server: a documentation address (RFC 5737); nothing ever sends to it.</summary>
    public const string DnsServer = "192.0.2.53";

    public static readonly string[] DnsSearches = ["cri.test", "svc.cri.test"];

    public static readonly string[] DnsOptions = ["ndots:3"];

    private const long MiB = 1024 * 1024;

    /// <summary>config/kubernetes/runtimeclass.yaml, whose overhead every test pod carries.</summary>
    public static readonly RuntimeClassFile RuntimeClass = RuntimeClassFile.Load();

    /// <summary>A pod named <paramref name="name"/> with hostname <paramref name="hostname"/>.</summary>
    public static PodSandboxConfig Pod(CriContainerd c, string name, string hostname)
    {
        ArgumentNullException.ThrowIfNull(c);
        var uid = Guid.NewGuid().ToString();
        var logDirectory = Path.Combine(c.PodLogRoot, $"{KubeNamespace}_{name}_{uid}");
        Directory.CreateDirectory(logDirectory);
        var namespaces = new NamespaceOption { Network = NamespaceMode.Pod, Ipc = NamespaceMode.Pod, Pid = NamespaceMode.Container };
        return new PodSandboxConfig
        {
            Metadata = new PodSandboxMetadata { Name = name, Uid = uid, Namespace = KubeNamespace, Attempt = 0 },
            Hostname = hostname,
            LogDirectory = logDirectory,
            DnsConfig = new DNSConfig { Servers = { DnsServer }, Searches = { DnsSearches }, Options = { DnsOptions } },
            Labels = { ["io.kubernetes.pod.name"] = name, ["sevshim.test/suite"] = "cri" },
            Annotations = { [CriConfigFiles.PodAnnotationPrefix + "test"] = "cri-e2e" },
            Linux = new LinuxPodSandboxConfig
            {
                CgroupParent = c.CgroupParent,
                SecurityContext = new LinuxSandboxSecurityContext { NamespaceOptions = namespaces },
                // The sums kubelet computes from the containers' limits; the overhead is the RuntimeClass's.
                Resources = new LinuxContainerResources { CpuPeriod = 100_000, CpuQuota = 100_000, CpuShares = 1024, MemoryLimitInBytes = 256 * MiB },
                // The shipped RuntimeClass's overhead.podFixed, as kubelet converts it (shares = milli * 1024 / 1000).
                Overhead = new LinuxContainerResources { CpuShares = RuntimeClass.OverheadMilliCpu * 1024 / 1000, MemoryLimitInBytes = RuntimeClass.OverheadMemoryBytes },
            },
        };
    }

    /// <summary>A busybox container running `sh -c <paramref name="script"/>`, logging to &lt;name&gt;.log.</summary>
    public static ContainerConfig Shell(string name, string script, long memoryLimitBytes = 0)
    {
        var resources = new LinuxContainerResources { CpuShares = 2 };
        if (memoryLimitBytes > 0)
        {
            resources.MemoryLimitInBytes = memoryLimitBytes;
        }

        return new ContainerConfig
        {
            Metadata = new ContainerMetadata { Name = name, Attempt = 0 },
            Image = new ImageSpec { Image = CriContainerd.Image },
            Command = { "sh", "-c", script },
            LogPath = name + ".log",
            Labels = { ["io.kubernetes.container.name"] = name },
            Linux = new LinuxContainerConfig
            {
                Resources = resources,
                SecurityContext = new LinuxContainerSecurityContext
                {
                    NamespaceOptions = new NamespaceOption { Network = NamespaceMode.Pod, Ipc = NamespaceMode.Pod, Pid = NamespaceMode.Container },
                },
            },
        };
    }

    /// <summary>Mebibytes to bytes.</summary>
    public static long Mebibytes(int n) => n * MiB;
}
