namespace SevShim.Config;

/// <summary>The byte stream carrying the agent's HTTP/2 connection (ARCHITECTURE decision 3).</summary>
internal enum AgentTransport
{
    /// <summary>The best transport this build has: virtio-serial (AF_VSOCK is planned, not built).</summary>
    Auto,

    /// <summary>A virtio-serial port named sevagent.0 behind a QEMU chardev unix socket.</summary>
    VirtioSerial,
}
