namespace SevShim.Config;

/// <summary>The byte stream carrying the agent's HTTP/2 connection (ARCHITECTURE decision 3).</summary>
internal enum AgentTransport
{
    /// <summary>AF_VSOCK when /dev/vhost-vsock exists, else virtio-serial.</summary>
    Auto,

    /// <summary>A virtio-serial port named sevagent.0 behind a QEMU chardev unix socket.</summary>
    VirtioSerial,

    /// <summary>AF_VSOCK, port 1024.</summary>
    Vsock,
}
