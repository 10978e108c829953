using System.Globalization;
using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// containerd 2.x's config (version 3) for a <see cref="CriContainerd"/>: the same choices as
/// <see cref="CriConfigFiles.Containerd"/> makes for 1.x (CRI.md §5.4), under the names 2.x split
/// the CRI plugin into (`containerd config default` of Debian's 2.1.9):
/// io.containerd.cri.v1.images (snapshotter, the sandbox image as pinned_images.sandbox),
/// io.containerd.cri.v1.runtime (runtimes, CNI with bin_dirs, restrict_oom_score_adj,
/// netns_mounts_under_state_dir) and io.containerd.grpc.v1.cri (the streaming server). Both
/// handlers use the pause-container sandbox (sandboxer = "podsandbox"), 2.x's default.
/// </summary>
public static class CriConfigV3
{
    /// <summary>The config file's text.</summary>
    public static string Containerd(CriContainerd c)
    {
        ArgumentNullException.ThrowIfNull(c);
        const string Runtime = "plugins.\"io.containerd.cri.v1.runtime\"";
        const string Images = "plugins.\"io.containerd.cri.v1.images\"";
        return string.Create(CultureInfo.InvariantCulture, $$"""
            {{CtrConfigFiles.Preamble(3, c.Dir, c.RootDir, c.StateDir, c.Address, CtrConfigFiles.NoisePlugins)}}
            [{{Images}}]
              snapshotter = "overlayfs"
              discard_unpacked_layers = false

            [{{Images}}.pinned_images]
              sandbox = "{{CriConfigFiles.PauseImage}}"

            [{{Runtime}}]
              restrict_oom_score_adj = true
              netns_mounts_under_state_dir = true
              disable_apparmor = true
              enable_selinux = false
              max_container_log_line_size = 16384

            [{{Runtime}}.containerd]
              default_runtime_name = "{{CriHandler.Runc}}"

            [{{Runtime}}.containerd.runtimes.{{CriHandler.Runc}}]
              runtime_type = "io.containerd.runc.v2"
              sandboxer = "podsandbox"

            [{{Runtime}}.containerd.runtimes.{{CriHandler.Runc}}.options]
              Root = "{{c.RuncRoot}}"
              SystemdCgroup = false

            {{CriConfigFiles.SevshimHandler(3, c.HandlerConfigPath)}}

            [{{Runtime}}.cni]
              bin_dirs = ["{{Prerequisites.CniBinDir}}"]
              conf_dir = "{{c.CniConfDir}}"
              max_conf_num = 1

            [plugins."io.containerd.grpc.v1.cri"]
              disable_tcp_service = true
              stream_server_address = "127.0.0.1"
              stream_server_port = "0"
            """);
    }
}
