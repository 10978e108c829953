using System.Globalization;
using TestSupport;

namespace SevShim.IntegrationTests.Support;

/// <summary>
/// The containerd config of a <see cref="CtrContainerd"/>: CRI off, every path below the instance's
/// folder. Version 2 for 1.6 and 1.7; version 3 for 2.x, where the CRI is three plugins
/// (io.containerd.cri.v1.images, io.containerd.cri.v1.runtime and the io.containerd.grpc.v1.cri
/// service: names from `containerd config default` of Debian's 2.1.9), all three disabled.
/// Plugins that only add start-up noise here (other snapshotters, tracing) are off too; a
/// disabled name a build does not have (aufs in 2.x) is ignored by containerd.
/// </summary>
public static class CtrConfigFiles
{
    /// <summary>Plugins every private instance disables: snapshotters it does not use and tracing.</summary>
    public static readonly IReadOnlyList<string> NoisePlugins =
    [
        "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
        "io.containerd.snapshotter.v1.devmapper", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing",
    ];

    /// <summary>The config file's text for <paramref name="c"/>'s build.</summary>
    public static string Containerd(CtrContainerd c)
    {
        ArgumentNullException.ThrowIfNull(c);
        string[] cri = c.Build.IsV2
            ? ["io.containerd.grpc.v1.cri", "io.containerd.cri.v1.runtime", "io.containerd.cri.v1.images"]
            : ["io.containerd.grpc.v1.cri"];
        return Preamble(c.Build.ConfigVersion, c.Dir, c.RootDir, c.StateDir, c.Address, cri.Concat(NoisePlugins));
    }

    /// <summary>
    /// What every private instance's config starts with, ctr or CRI: the version, root, state,
    /// temp and opt folders below <paramref name="dir"/>, the disabled plugins, the gRPC socket
    /// <paramref name="address"/> and its ttrpc twin, debug logging, no debug or metrics socket.
    /// </summary>
    public static string Preamble(int version, string dir, string rootDir, string stateDir, string address, IEnumerable<string> disabledPlugins)
    {
        var disabled = string.Join(", ", disabledPlugins.Select(p => $"\"{p}\""));
        return string.Create(CultureInfo.InvariantCulture, $"""
            version = {version}
            root = "{rootDir}"
            state = "{stateDir}"
            temp = "{Path.Combine(dir, "tmp")}"
            disabled_plugins = [{disabled}]

            [grpc]
              address = "{address}"

            [ttrpc]
              address = "{address}.ttrpc"

            [debug]
              address = ""
              level = "debug"

            [metrics]
              address = ""

            [plugins."io.containerd.internal.v1.opt"]
              path = "{Path.Combine(dir, "opt")}"

            """);
    }
}
