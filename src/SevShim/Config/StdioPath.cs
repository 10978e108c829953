namespace SevShim.Config;

/// <summary>How process stdio travels between the shim and the agent (agent.stdio; ARCHITECTURE.md decision 3).</summary>
internal enum StdioPath
{
    /// <summary>The stdio link: a virtio-serial port of its own, light frames, per-stream credit.</summary>
    Link,

    /// <summary>gRPC streams on the agent connection (ReadStdout, ReadStderr, WriteStdin).</summary>
    Grpc,
}
