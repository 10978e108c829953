namespace SevAgentProto;

/// <summary>
/// Names both ends of the agent link must agree on (ARCHITECTURE.md decision 3 and 7). The guest
/// image and the shim's QEMU command line use the same values.
/// </summary>
public static class AgentConstants
{
    /// <summary>
    /// The virtio-serial port name (QEMU <c>-device virtserialport,name=sevagent.0</c>); the guest
    /// finds its /dev/vportNpM through /sys/class/virtio-ports/*/name.
    /// </summary>
    public const string VirtioSerialPortName = "sevagent.0";

    /// <summary>
    /// The virtio-serial port of the stdio link (process stdin, stdout and stderr as raw frames,
    /// off gRPC: ARCHITECTURE.md decision 3). Optional: without it stdio goes over gRPC.
    /// </summary>
    public const string StdioPortName = "sevio.0";

    /// <summary>The mount tag of the pod's virtio-9p share (QEMU <c>-fsdev ... mount_tag=sevshare</c>).</summary>
    public const string ShareMountTag = "sevshare";

    /// <summary>Where the agent mounts the 9p share in the guest (overridable with --share-dir).</summary>
    public const string DefaultGuestShareDir = "/run/sevagent/share";

    /// <summary>The agent's state root in the guest: bundles, rootfs mounts, crun state (--state-dir).</summary>
    public const string DefaultGuestStateDir = "/run/sevagent";

    /// <summary>
    /// The authority used in request URIs. The link is a private byte stream, so the name is only
    /// what HTTP/2 needs in :authority; h2c with prior knowledge needs an http:// address.
    /// </summary>
    public static readonly Uri ChannelAddress = new("http://localhost");
}
