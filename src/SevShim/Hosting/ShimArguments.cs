namespace SevShim.Hosting;

/// <summary>
/// The command line containerd gives a shim (SHIM-PROTOCOL 4.2/4.3): Go <c>flag</c> syntax, flags
/// first, then the action. 1.6 to 2.2 pass
/// <c>-namespace ns -address grpc -publish-binary containerd -id id [-bundle path] [-debug] action</c>;
/// 2.3 adds <c>-bundle</c> to more calls. <see cref="Rest"/> holds the words after an admin verb.
/// </summary>
internal sealed record ShimArguments
{
    public ShimAction Action { get; init; } = ShimAction.Daemon;

    /// <summary>-namespace: the containerd namespace (also the events' namespace).</summary>
    public string Namespace { get; init; } = string.Empty;

    /// <summary>-address: containerd's gRPC socket path; part of the socket-name hash.</summary>
    public string Address { get; init; } = string.Empty;

    /// <summary>-publish-binary: the containerd executable (pre-1.3 event fallback; unused).</summary>
    public string PublishBinary { get; init; } = string.Empty;

    /// <summary>-id: the task (container) id.</summary>
    public string Id { get; init; } = string.Empty;

    /// <summary>-bundle: the bundle directory; empty means the working directory.</summary>
    public string Bundle { get; init; } = string.Empty;

    /// <summary>-debug: containerd logs at debug level; the daemon also logs to stderr.</summary>
    public bool Debug { get; init; }

    /// <summary>-socket: the legacy abstract socket flag of older shims; accepted and ignored.</summary>
    public string Socket { get; init; } = string.Empty;

    /// <summary>Words after an admin verb (e.g. the file for <c>config</c>).</summary>
    public IReadOnlyList<string> Rest { get; init; } = [];
}
