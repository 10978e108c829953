namespace SevAgent.Hosting;

/// <summary>Where the agent accepts the shim's connection.</summary>
internal enum ListenKind
{
    /// <summary>virtio-serial "sevagent.0".</summary>
    Auto,
    Unix,
    VirtioSerial,
}
