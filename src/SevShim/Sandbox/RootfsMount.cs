namespace SevShim.Sandbox;

/// <summary>
/// One rootfs mount of a container as containerd hands it over (type, source, options; target
/// is empty from containerd 1.6, which never sets it). Mounted into the bundle's rootfs.
/// </summary>
internal sealed record RootfsMount(string Type, string Source, string Target, IReadOnlyList<string> Options);
