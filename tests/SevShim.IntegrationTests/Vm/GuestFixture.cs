using Sev;
using System.Diagnostics;
using SevShim.Config;
using TestSupport;

namespace SevShim.IntegrationTests.Vm;

/// <summary>Builds what a pod VM test needs on the host: a busybox rootfs, FIFOs, a configuration for TCG.</summary>
internal static class GuestFixture
{
    /// <summary>A configuration that boots the built guest image unencrypted with a shared rootfs and generous timeouts.</summary>
    public static ShimConfig Config() => new()
    {
        QemuPath = Prerequisites.FindTool("qemu-system-x86_64")!,
        KernelPath = Path.Combine(RepoPaths.GuestImageDir, "vmlinuz"),
        InitrdPath = Path.Combine(RepoPaths.GuestImageDir, "initrd.img"),
        Vcpus = 1,
        MemoryMib = 512,
        Confidential = SevMode.None,
        Rootfs = RootfsMode.Shared,
        AgentTransport = AgentTransport.VirtioSerial,
        // TCG on a loaded 2-core machine: boots take 4-12 s, sometimes 30 s and more.
        BootTimeout = TimeSpan.FromSeconds(300),
        AgentConnectTimeout = TimeSpan.FromSeconds(30),
        ShutdownTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>A busybox rootfs at bundle/rootfs (TestSupport.BusyboxRootfs; commands run as "/bin/busybox sh -c ...").</summary>
    public static string BusyboxRootfs(string bundle) => TestSupport.BusyboxRootfs.Create(Path.Combine(bundle, "rootfs"));

    /// <summary>Makes a FIFO with mkfifo(1).</summary>
    public static string Fifo(string path)
    {
        using var p = Process.Start("mkfifo", ["-m", "0600", path]);
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"mkfifo {path} failed");
        }

        return path;
    }

    /// <summary>A minimal OCI spec running <paramref name="script"/> with /bin/busybox sh, plus a read-only bind of <paramref name="dataDir"/> at /data.</summary>
    public static string Spec(string script, string dataDir) => $$"""
        {
          "ociVersion": "1.0.2",
          "process": {
            "terminal": false,
            "user": { "uid": 0, "gid": 0 },
            "args": ["/bin/busybox", "sh", "-c", {{System.Text.Json.JsonSerializer.Serialize(script, VmTestJson.Default.String)}}],
            "env": ["PATH=/bin"],
            "cwd": "/",
            "noNewPrivileges": true
          },
          "root": { "path": "rootfs", "readonly": false },
          "hostname": "sevshim-e2e",
          "mounts": [
            { "destination": "/proc", "type": "proc", "source": "proc" },
            { "destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "strictatime", "mode=755", "size=65536k"] },
            { "destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"] },
            { "destination": "/data", "type": "bind", "source": "{{dataDir}}", "options": ["rbind", "ro"] }
          ],
          "linux": {
            "namespaces": [ { "type": "pid" }, { "type": "ipc" }, { "type": "uts" }, { "type": "mount" }, { "type": "network" } ]
          }
        }
        """;
}
