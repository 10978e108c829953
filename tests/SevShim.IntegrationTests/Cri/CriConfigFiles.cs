using System.Globalization;
using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// The files a <see cref="CriContainerd"/> writes before it starts: containerd's config (version 2
/// for 1.6 and 1.7, version 3 for 2.x; the CRI plugin on, the two handlers under test, the sevshim
/// handler taken from the snippet we ship in config/containerd/) and one CNI conflist. Every path is below the
/// instance's folder, so nothing of the host's containerd or CNI setup is read or written, except
/// what containerd 1.6 cannot move: the runc shim's socket dir /run/containerd/s and libcni's
/// result cache /var/lib/cni/results (both removed per pod by CNI DEL and the shim).
/// </summary>
public static class CriConfigFiles
{
    /// <summary>The sandbox (pause) image the fixture builds and imports.</summary>
    public const string PauseImage = "localhost/sevshim/pause:local";

    /// <summary>The pod subnet of the CNI bridge: private to the instance's network namespace.</summary>
    public const string PodSubnet = "10.250.0.0/24";

    /// <summary>The pod subnet's IPv6 twin (a unique local prefix, RFC 4193): every pod is dual-stack.</summary>
    public const string PodSubnet6 = "fd73:7600:250::/64";

    /// <summary>The bridge's IPv6 address, the pods' IPv6 gateway (host-local gives the first of the range).</summary>
    public const string Gateway6 = "fd73:7600:250::1";

    /// <summary>The pod annotations the sevshim handler passes on (pod_annotations).</summary>
    public const string PodAnnotationPrefix = "io.sevshim.";

    /// <summary>
    /// containerd's config. The choices that matter (CRI.md §5.4):
    /// restrict_oom_score_adj, because these machines drop CAP_SYS_RESOURCE from the bounding set
    /// and runc fails to apply the pause spec's -998 otherwise; netns_mounts_under_state_dir, so
    /// the pods' network namespaces are bind-mounted below the instance's state folder rather than
    /// in the host's /var/run/netns; the runc handler's Root, so runc's state is private too; and
    /// the sevshim handler as a RuntimeClass operator would write it (pod_annotations,
    /// privileged_without_host_devices, options.ConfigPath).
    /// </summary>
    public static string Containerd(CriContainerd c)
    {
        ArgumentNullException.ThrowIfNull(c);
        if (c.Build.ConfigVersion == 3)
        {
            return CriConfigV3.Containerd(c);
        }

        const string Cri = "plugins.\"io.containerd.grpc.v1.cri\"";
        return string.Create(CultureInfo.InvariantCulture, $$"""
            {{CtrConfigFiles.Preamble(2, c.Dir, c.RootDir, c.StateDir, c.Address, CtrConfigFiles.NoisePlugins)}}
            [{{Cri}}]
              sandbox_image = "{{PauseImage}}"
              restrict_oom_score_adj = true
              netns_mounts_under_state_dir = true
              disable_tcp_service = true
              disable_apparmor = true
              enable_selinux = false
              stream_server_address = "127.0.0.1"
              stream_server_port = "0"
              max_container_log_line_size = 16384

            [{{Cri}}.containerd]
              snapshotter = "overlayfs"
              default_runtime_name = "{{CriHandler.Runc}}"
              discard_unpacked_layers = false

            [{{Cri}}.containerd.runtimes.{{CriHandler.Runc}}]
              runtime_type = "io.containerd.runc.v2"

            [{{Cri}}.containerd.runtimes.{{CriHandler.Runc}}.options]
              Root = "{{c.RuncRoot}}"
              SystemdCgroup = false

            {{SevshimHandler(2, c.HandlerConfigPath)}}

            [{{Cri}}.cni]
              bin_dir = "{{Prerequisites.CniBinDir}}"
              conf_dir = "{{c.CniConfDir}}"
              max_conf_num = 1
            """);
    }

    /// <summary>The snippet operators get, config/containerd/config-v&lt;version&gt;.toml.</summary>
    public static string SnippetPath(int configVersion) =>
        Path.Combine(RepoPaths.Root, "config", "containerd", $"config-v{configVersion.ToString(CultureInfo.InvariantCulture)}.toml");

    /// <summary>
    /// The sevshim handler's tables exactly as the shipped snippet has them, with only its
    /// ConfigPath pointed at <paramref name="shimConfigPath"/>: what we ship is what is tested.
    /// </summary>
    public static string SevshimHandler(int configVersion, string shimConfigPath)
    {
        const string Shipped = "ConfigPath = \"/etc/sevshim/config.toml\"";
        var path = SnippetPath(configVersion);
        var text = File.ReadAllText(path);
        if (!text.Contains(Shipped, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"{path} has no line '{Shipped}' for the CRI fixture to point at its own sevshim config");
        }

        return text.Replace(Shipped, $"ConfigPath = \"{shimConfigPath}\"", StringComparison.Ordinal);
    }

    /// <summary>
    /// A bridge + host-local + portmap conflist (CRI.md §5.3), dual-stack (IPv4 first: the pod IP). containerd adds the loopback
    /// network itself. host-local keeps its leases below the instance's folder, not in
    /// /var/lib/cni/networks; the network is named after the instance so that libcni's cache
    /// entries (/var/lib/cni/results/&lt;network&gt;-&lt;id&gt;-eth0) can be told apart.
    /// </summary>
    public static string Conflist(CriContainerd c)
    {
        ArgumentNullException.ThrowIfNull(c);
        return $$"""
            {
              "cniVersion": "1.0.0",
              "name": "{{c.NetworkName}}",
              "plugins": [
                {
                  "type": "bridge",
                  "bridge": "sevcri0",
                  "isGateway": true,
                  "ipMasq": false,
                  "hairpinMode": true,
                  "ipam": {
                    "type": "host-local",
                    "dataDir": "{{Path.Combine(c.Dir, "ipam")}}",
                    "ranges": [[{ "subnet": "{{PodSubnet}}" }], [{ "subnet": "{{PodSubnet6}}" }]],
                    "routes": [{ "dst": "0.0.0.0/0" }, { "dst": "::/0" }]
                  }
                },
                { "type": "portmap", "capabilities": { "portMappings": true } }
              ]
            }
            """;
    }
}
