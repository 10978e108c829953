using System.Text.Json;
using System.Text.Json.Nodes;
using SevShim.Errors;
using SevShim.Qemu;
using SevShim.Sandbox;

using SevRuntime.Posix;

namespace SevShim.Rootfs;

/// <summary>
/// Plans a container's host mounts under the pod's 9p share (rootfs mode "shared", ARCHITECTURE
/// decision 7; in mode "block" under a staging folder the VM never sees, and only the rootfs, which
/// becomes a disk image) and rewrites its OCI spec for the guest (decision 6: no host path reaches it):
/// <list type="bullet">
/// <item>containerd's rootfs mounts (CreateTaskRequest.rootfs: an overlay from the snapshotter,
/// or a bind) go to <c>share/&lt;id&gt;/rootfs</c>; with none, the bundle's root.path is bound there;</item>
/// <item>every OCI bind mount with a host source (ctr --mount, CRI volumes, /etc/hosts) is bound
/// to <c>share/&lt;id&gt;/mounts/&lt;n&gt;</c>, read-only when its options say "ro";</item>
/// <item>the spec's root.path becomes <c>&lt;id&gt;/rootfs</c> and each bind source its
/// share-relative path.</item>
/// </list>
/// A bind source that is a socket, a device or a FIFO (a hostPath volume of that type) is refused
/// naming the volume: only files and folders can be shared with the VM.
/// Pure: it touches nothing but its <c>kindOf</c> and <c>fileSystemBytes</c> callbacks, so it is
/// unit-tested as is.
/// </summary>
internal static class MountPlanner
{
    /// <summary>The share-relative folder of a container's rootfs.</summary>
    public static string RootfsSharedPath(string containerId) => containerId + "/rootfs";

    /// <summary>The pod tmpfs that stands for every bind onto /dev/shm.</summary>
    public const string PodShmName = "shm";

    /// <summary>The size of the pod's /dev/shm when the host source's cannot be read: containerd's CRI default.</summary>
    public const ulong DefaultShmBytes = 64UL << 20;

    /// <summary>Makes the plan; bad input is an InvalidArgument naming the mount and the fix.</summary>
    /// <param name="request">The container.</param>
    /// <param name="shareDirectory">The pod's 9p share on the host (mode "block": its staging folder).</param>
    /// <param name="kindOf">What a host path is (HostFileSystem.KindOf).</param>
    /// <param name="fileSystemBytes">The size of the file system holding a host path (0 when unknown).</param>
    /// <param name="copyVolumes">Rootfs mode "block": no bind source is shared; each becomes a guest copy (an emptyDir a guest directory of the pod).</param>
    public static ContainerMountPlan Plan(
        ContainerCreateRequest request,
        string shareDirectory,
        Func<string, HostPathKind> kindOf,
        Func<string, ulong>? fileSystemBytes = null,
        bool copyVolumes = false)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(kindOf);
        SandboxIds.Validate(request.ContainerId);
        var share = Path.TrimEndingDirectorySeparator(Path.GetFullPath(shareDirectory));
        var containerDir = Path.Combine(share, request.ContainerId);
        var rootfsTarget = Path.Combine(containerDir, "rootfs");
        JsonObject spec;
        try
        {
            using (var document = JsonDocument.Parse(request.OciSpecJson))
            {
                if (SpecJsonCheck.Problem(document.RootElement) is { } problem)
                {
                    throw Invalid($"the OCI spec of {request.ContainerId} {problem}");
                }
            }

            spec = JsonNode.Parse(request.OciSpecJson) as JsonObject
                ?? throw Invalid($"the OCI spec of {request.ContainerId} is not a JSON object");
        }
        catch (JsonException ex)
        {
            throw Invalid($"the OCI spec (config.json) of {request.ContainerId} is not valid JSON: {ex.Message}");
        }

        var mounts = new List<HostMount>();
        var root = spec["root"] as JsonObject;
        var rootReadOnly = root?["readonly"]?.GetValueKind() == JsonValueKind.True;
        if (request.Rootfs.Count == 0)
        {
            var rootPath = root?["path"]?.GetValueKind() == JsonValueKind.String ? root["path"]!.GetValue<string>() : string.Empty;
            if (rootPath.Length == 0)
            {
                throw Invalid($"container {request.ContainerId} has no rootfs mounts and its spec has no root.path: give one of them");
            }

            RequireNoNul(rootPath, $"the root.path of container {request.ContainerId}");
            var source = Path.IsPathRooted(rootPath) ? rootPath : Path.GetFullPath(Path.Combine(request.BundlePath, rootPath));
            mounts.Add(new HostMount(source, rootfsTarget, null, Posix.MS_BIND | Posix.MS_REC, null, false, false));
        }

        foreach (var m in request.Rootfs)
        {
            var target = m.Target.Length == 0 ? rootfsTarget : Inside(rootfsTarget, m.Target, $"rootfs mount target '{m.Target}'");
            var (flags, data) = MountOptions.Parse(m.Options);
            if (MountOptions.IsBind(m.Type, m.Options))
            {
                RequireAbsolute(m.Source, $"rootfs bind mount source '{m.Source}'");
                mounts.Add(new HostMount(m.Source, target, null, Posix.MS_BIND | (flags & Posix.MS_REC), null, (flags & Posix.MS_RDONLY) != 0, false));
            }
            else
            {
                mounts.Add(new HostMount(m.Source, target, m.Type, flags | Posix.MS_NOSUID | Posix.MS_NODEV, data, false, false));
            }
        }

        var guestMounts = new List<GuestMountMapping>();
        if (spec["mounts"] is JsonArray specMounts)
        {
            var index = 0;
            foreach (var node in specMounts)
            {
                if (node is not JsonObject mount)
                {
                    throw Invalid($"the OCI spec of {request.ContainerId} has a mount that is not an object");
                }

                var destination = Text(mount, "destination");
                var type = Text(mount, "type");
                var options = mount["options"] is JsonArray opts
                    ? opts.Where(o => o?.GetValueKind() == JsonValueKind.String).Select(o => o!.GetValue<string>()).ToList()
                    : [];
                if (!MountOptions.IsBind(type, options))
                {
                    continue;
                }

                var source = Text(mount, "source");
                RequireAbsolute(source, $"bind mount source '{source}' for {destination}");
                if (destination.TrimEnd('/') == "/dev/shm")
                {
                    // CRI binds the pod's host shm tmpfs here (CRI.md 1.5). The host's memory is
                    // never shared with the guest: the pod gets a guest tmpfs of the same size,
                    // one for all its containers, as they share one under runc.
                    var bytes = fileSystemBytes?.Invoke(source) ?? 0;
                    guestMounts.Add(new GuestMountMapping(destination, string.Empty)
                    {
                        PodTmpfs = PodShmName,
                        PodTmpfsBytes = bytes > 0 ? bytes : DefaultShmBytes,
                    });
                    mount["source"] = PodShmName;
                    continue;
                }

                var kind = kindOf(source);
                if (kind is HostPathKind.Socket or HostPathKind.CharDevice or HostPathKind.BlockDevice or HostPathKind.Fifo)
                {
                    throw Invalid(
                        $"the volume mounted at {destination} in container {request.ContainerId} is the host's {Describe(kind)} {source}: " +
                        "only files and folders can be shared with the pod VM (a socket, device or pipe on the host cannot be reached from inside it); " +
                        "remove that volume (a hostPath of type Socket, CharDevice or BlockDevice), or run the pod with runc");
                }

                var (flags, _) = MountOptions.Parse(options);
                if (copyVolumes)
                {
                    guestMounts.Add(GuestOnly(request.ContainerId, destination, source, kind, index++, (flags & Posix.MS_RDONLY) != 0));
                    mount["source"] = destination;
                    continue;
                }

                var name = $"mounts/{index++}";
                mounts.Add(new HostMount(
                    source,
                    Path.Combine(containerDir, name),
                    null,
                    Posix.MS_BIND | (flags & Posix.MS_REC),
                    null,
                    (flags & Posix.MS_RDONLY) != 0,
                    kind != HostPathKind.Directory));
                var shared = $"{request.ContainerId}/{name}";
                guestMounts.Add(new GuestMountMapping(destination, shared));
                mount["source"] = shared;
            }
        }

        root ??= [];
        spec["root"] = root;
        root["path"] = RootfsSharedPath(request.ContainerId);
        DefaultHostname(spec);
        return new ContainerMountPlan(containerDir, RootfsSharedPath(request.ContainerId), rootReadOnly, mounts, guestMounts, spec.ToJsonString());
    }

    /// <summary>
    /// A bind source in rootfs mode "block": an emptyDir (kubelet's folder
    /// <c>volumes/kubernetes.io~empty-dir/&lt;name&gt;</c>) becomes a guest directory of the pod,
    /// named after the host folder so that every container mounting it shares it, and never
    /// touches the host's disk; anything else a guest copy that the sandbox keeps in step.
    /// </summary>
    private static GuestMountMapping GuestOnly(string containerId, string destination, string source, HostPathKind kind, int index, bool readOnly)
    {
        if (source.Contains("/volumes/kubernetes.io~empty-dir/", StringComparison.Ordinal))
        {
            var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(source)));
            return new GuestMountMapping(destination, string.Empty) { PodDirectory = "emptydir-" + hash[..24] };
        }

        if (kind == HostPathKind.Missing)
        {
            throw Invalid($"the source {source} of the volume mounted at {destination} in container {containerId} does not exist: create it, or fix the mount's source");
        }

        return new GuestMountMapping(destination, string.Empty)
        {
            Copy = new CopiedVolume($"{containerId}.{index.ToString(System.Globalization.CultureInfo.InvariantCulture)}", source, kind != HostPathKind.Directory)
            {
                ReadOnly = readOnly,
            },
        };
    }

    /// <summary>
    /// With runc, a container with its own UTS namespace and no spec hostname starts with the
    /// host's hostname (the new namespace copies it). In the pod VM it would copy the guest's, so
    /// the host's name is written into the spec: the container sees what it sees under runc.
    /// </summary>
    private static void DefaultHostname(JsonObject spec)
    {
        if (spec["hostname"] is JsonValue existing && existing.TryGetValue<string>(out var name) && name.Length > 0)
        {
            return;
        }

        var namespaces = (spec["linux"] as JsonObject)?["namespaces"] as JsonArray;
        var ownUts = namespaces?.OfType<JsonObject>().Any(n =>
            n["type"] is JsonValue t && t.TryGetValue<string>(out var type) && type == "uts"
            && (n["path"] is null || (n["path"] is JsonValue p && p.TryGetValue<string>(out var path) && path.Length == 0))) ?? false;
        if (ownUts)
        {
            spec["hostname"] = System.Net.Dns.GetHostName();
        }
    }

    /// <summary><paramref name="relative"/> joined under <paramref name="root"/>; refuses anything that climbs out.</summary>
    public static string Inside(string root, string relative, string what)
    {
        RequireNoNul(relative, what);
        var full = Path.GetFullPath(Path.Combine(root, relative.TrimStart('/')));
        if (full != root && !full.StartsWith(root + "/", StringComparison.Ordinal))
        {
            throw Invalid($"{what} escapes {root}: use a path inside it without '..'");
        }

        return full;
    }

    private static void RequireAbsolute(string path, string what)
    {
        RequireNoNul(path, what);
        if (!Path.IsPathRooted(path))
        {
            throw Invalid($"{what} is not an absolute host path: bind mounts need an absolute source");
        }
    }

    // A NUL cannot be in a path the kernel takes (it ends a C string: the path would silently
    // become its prefix), and .NET's Path methods throw ArgumentException on one (fuzz finding).
    private static void RequireNoNul(string path, string what)
    {
        if (path.Contains('\0', StringComparison.Ordinal))
        {
            throw Invalid($"{what} has a NUL character (\\u0000): a path cannot hold one; fix the path");
        }
    }

    private static string Describe(HostPathKind kind) => kind switch
    {
        HostPathKind.Socket => "unix socket",
        HostPathKind.CharDevice => "character device",
        HostPathKind.BlockDevice => "block device",
        _ => "FIFO",
    };

    private static string Text(JsonObject o, string key) =>
        o[key]?.GetValueKind() == JsonValueKind.String ? o[key]!.GetValue<string>() : string.Empty;

    private static ShimException Invalid(string message) => new(ShimErrorKind.InvalidArgument, "sevshim: " + message);
}
