namespace Ttrpc;

/// <summary>Settings of a <see cref="TtrpcServer"/>.</summary>
public sealed class TtrpcServerOptions
{
    /// <summary>The ttrpc wire limit on a frame's payload: 4 MiB (ttrpc channel.go messageLengthMax).</summary>
    public const int DefaultMaxMessageSize = 4 << 20;

    /// <summary>
    /// Largest frame payload accepted or sent. Larger incoming requests are answered with
    /// ResourceExhausted (their bytes are skipped, the connection stays up). Default 4 MiB.
    /// </summary>
    public int MaxMessageSize { get; init; } = DefaultMaxMessageSize;

    /// <summary>
    /// When true (default), a connection whose peer uid (SO_PEERCRED) differs from this process's
    /// effective uid is closed at once, as Go ttrpc's UnixSocketRequireSameUser does for containerd.
    /// </summary>
    public bool RequireSameUid { get; init; } = true;

    /// <summary>
    /// Optional diagnostics sink (one line per event: rejected peers, protocol errors, handler
    /// failures). Called from any thread; must not throw.
    /// </summary>
    public Action<string>? Log { get; init; }
}
