using System.Text.Json.Nodes;

namespace SevAgent.ComponentTests;

/// <summary>OCI specs for the busybox rootfs, shaped like `crun spec` output.</summary>
internal static class Specs
{
    public static string Container(string[] args, long? memoryLimit = null)
    {
        var linux = new JsonObject
        {
            ["namespaces"] = new JsonArray(Ns("pid"), Ns("ipc"), Ns("uts"), Ns("mount"), Ns("network")),
            ["maskedPaths"] = new JsonArray("/proc/kcore", "/sys/firmware"),
            ["readonlyPaths"] = new JsonArray("/proc/sys"),
            // A host path the agent must replace with its own.
            ["cgroupsPath"] = "/host/kubepods/should-not-be-used",
        };
        if (memoryLimit is { } limit)
        {
            linux["resources"] = new JsonObject { ["memory"] = new JsonObject { ["limit"] = limit, ["swap"] = limit } };
        }

        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = Process(args),
            ["root"] = new JsonObject { ["path"] = "/host/path/ignored" },
            ["hostname"] = "sevtest",
            ["mounts"] = new JsonArray(
                Mount("/proc", "proc", "proc"),
                Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
                Mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"),
                Mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
                Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
                Mount("/etc/hostname", "bind", "/var/lib/host/hostname", "rbind", "ro")),
            ["linux"] = linux,
        }.ToJsonString();
    }

    public static JsonObject Process(string[] args) => new()
    {
        ["terminal"] = false,
        ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
        ["args"] = new JsonArray(args.Select(a => (JsonNode)a!).ToArray()),
        ["env"] = new JsonArray("PATH=/bin", "TERM=xterm"),
        ["cwd"] = "/",
        ["capabilities"] = new JsonObject
        {
            ["bounding"] = Caps(),
            ["effective"] = Caps(),
            ["permitted"] = Caps(),
        },
        ["noNewPrivileges"] = true,
    };

    private static JsonArray Caps() => new("CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_AUDIT_WRITE");

    private static JsonObject Ns(string type) => new() { ["type"] = type };

    private static JsonObject Mount(string destination, string type, string source, params string[] options)
    {
        var mount = new JsonObject { ["destination"] = destination, ["type"] = type, ["source"] = source };
        if (options.Length > 0)
        {
            mount["options"] = new JsonArray(options.Select(o => (JsonNode)o!).ToArray());
        }

        return mount;
    }
}
