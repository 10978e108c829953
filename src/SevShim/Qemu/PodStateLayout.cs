namespace SevShim.Qemu;

/// <summary>
/// Where one pod keeps its host-side state: <c>&lt;root&gt;/&lt;sandbox-id&gt;</c> (root
/// <c>/run/sevshim</c> in production, a temp folder in tests). The folder is 0700 and owned by
/// the shim; everything in it goes when the pod shuts down.
/// </summary>
internal sealed record PodStateLayout(string Directory)
{
    /// <summary>The production state root.</summary>
    public const string DefaultRoot = "/run/sevshim";

    /// <summary>QEMU's QMP socket (QEMU listens, the shim connects).</summary>
    public string QmpSocket => Path.Combine(Directory, "qmp.sock");

    /// <summary>The host end of the agent's virtio-serial port (QEMU listens, the shim connects).</summary>
    public string AgentSocket => Path.Combine(Directory, "agent.sock");

    /// <summary>The host end of the stdio link's virtio-serial port (QEMU listens, the shim connects).</summary>
    public string StdioSocket => Path.Combine(Directory, "stdio.sock");

    /// <summary>The guest's serial console, written by QEMU.</summary>
    public string ConsoleLog => Path.Combine(Directory, "console.log");

    /// <summary>The root of the pod's virtio-9p share (containers' rootfs and bind mounts below it), rootfs mode "shared" only.</summary>
    public string ShareDirectory => Path.Combine(Directory, "share");

    /// <summary>
    /// Rootfs mode "block": where a container's rootfs is mounted on the host while its disk image
    /// is made (then unmounted). Never shared with the VM; named apart from
    /// <see cref="ShareDirectory"/> so nothing mistakes it for the share.
    /// </summary>
    public string StagingDirectory => Path.Combine(Directory, "staging");

    /// <summary>The layout of <paramref name="sandboxId"/> under <paramref name="root"/>.</summary>
    public static PodStateLayout For(string root, string sandboxId)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        SandboxIds.Validate(sandboxId);
        var layout = new PodStateLayout(Path.Combine(Path.GetFullPath(root), sandboxId));
        // sockaddr_un.sun_path holds 108 bytes including the terminating NUL (unix(7)).
        if (System.Text.Encoding.UTF8.GetByteCount(layout.AgentSocket) > 107)
        {
            throw new Errors.ShimException(
                Errors.ShimErrorKind.InvalidArgument,
                $"sevshim: the pod state folder {layout.Directory} is too long for unix socket paths (107 bytes): use a shorter state root than {root}");
        }

        return layout;
    }
}
