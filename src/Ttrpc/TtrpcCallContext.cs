namespace Ttrpc;

/// <summary>
/// What a server handler knows about the call besides its request message: which method was
/// called, the request metadata, the deadline and the peer's credentials (SO_PEERCRED).
/// </summary>
public sealed class TtrpcCallContext
{
    private static readonly IReadOnlyDictionary<string, IReadOnlyList<string>> NoMetadata =
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);

    /// <summary>
    /// Creates a context. The server builds these; handler unit tests may build their own.
    /// </summary>
    /// <param name="service">Fully qualified service name, e.g. <c>containerd.task.v2.Task</c>.</param>
    /// <param name="method">Bare method name, e.g. <c>Create</c>.</param>
    /// <param name="metadata">Request metadata; keys may repeat on the wire, so each has a list of values.</param>
    /// <param name="deadline">When the call's deadline passes, or null for none.</param>
    /// <param name="peerUid">The peer's uid from SO_PEERCRED, or -1 when unknown.</param>
    /// <param name="peerPid">The peer's pid from SO_PEERCRED, or -1 when unknown.</param>
    public TtrpcCallContext(
        string service,
        string method,
        IReadOnlyDictionary<string, IReadOnlyList<string>>? metadata = null,
        DateTimeOffset? deadline = null,
        int peerUid = -1,
        int peerPid = -1)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(method);
        Service = service;
        Method = method;
        Metadata = metadata ?? NoMetadata;
        Deadline = deadline;
        PeerUid = peerUid;
        PeerPid = peerPid;
    }

    /// <summary>Fully qualified service name, e.g. <c>containerd.task.v2.Task</c>.</summary>
    public string Service { get; }

    /// <summary>Bare method name, e.g. <c>Create</c>.</summary>
    public string Method { get; }

    /// <summary>
    /// Request metadata (key to values, in arrival order). containerd 1.6 usually sends none, so
    /// do not depend on e.g. <c>containerd-namespace-ttrpc</c> (SHIM-PROTOCOL.md 1.2).
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Metadata { get; }

    /// <summary>The deadline derived from Request.timeout_nano at arrival, or null for none.</summary>
    public DateTimeOffset? Deadline { get; }

    /// <summary>The connected peer's uid (SO_PEERCRED), or -1 when it could not be read.</summary>
    public int PeerUid { get; }

    /// <summary>The connected peer's pid (SO_PEERCRED), or -1 when it could not be read.</summary>
    public int PeerPid { get; }
}
