namespace SevShim.Rootfs;

/// <summary>The mount points <see cref="HostMounter"/> made for one container, in mount order.</summary>
internal sealed class AppliedMounts(string containerDirectory)
{
    /// <summary>The container's folder in the pod share.</summary>
    public string ContainerDirectory { get; } = containerDirectory;

    /// <summary>Mount points, first mounted first.</summary>
    public List<string> Targets { get; } = [];
}
