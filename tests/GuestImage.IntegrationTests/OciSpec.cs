using System.Text.Json.Nodes;

namespace GuestImage.IntegrationTests;

/// <summary>
/// Minimal OCI runtime specs (runtime-spec config.json) for busybox test containers: the mounts
/// and namespaces a runc/crun default spec has, no capabilities beyond a small set.
/// </summary>
internal static class OciSpec
{
    public static JsonObject Create(IEnumerable<string> args, bool pidNamespace = true, long? memoryLimitBytes = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var namespaces = new JsonArray();
        foreach (var ns in pidNamespace ? new[] { "pid", "ipc", "uts", "mount", "network" } : new[] { "ipc", "uts", "mount", "network" })
        {
            namespaces.Add(new JsonObject { ["type"] = ns });
        }

        var linux = new JsonObject
        {
            ["namespaces"] = namespaces,
            ["maskedPaths"] = new JsonArray("/proc/kcore", "/proc/keys", "/proc/timer_list"),
            ["readonlyPaths"] = new JsonArray("/proc/sys", "/proc/sysrq-trigger"),
        };
        if (memoryLimitBytes is { } limit)
        {
            linux["resources"] = new JsonObject { ["memory"] = new JsonObject { ["limit"] = limit } };
        }

        string[] caps = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_KILL", "CAP_SETGID", "CAP_SETUID"];
        return new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = Process(args, caps),
            ["root"] = new JsonObject { ["path"] = "rootfs" },
            ["hostname"] = "guest-test",
            ["mounts"] = new JsonArray(
                Mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"),
                Mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
                Mount("/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
                Mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
                Mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro")),
            ["linux"] = linux,
        };
    }

    /// <summary>An OCI "process" object (the exec request's process_json).</summary>
    public static JsonObject Process(IEnumerable<string> args, IReadOnlyList<string>? capabilities = null)
    {
        var argArray = new JsonArray();
        foreach (var a in args)
        {
            argArray.Add(a);
        }

        var process = new JsonObject
        {
            ["terminal"] = false,
            ["user"] = new JsonObject { ["uid"] = 0, ["gid"] = 0 },
            ["args"] = argArray,
            ["env"] = new JsonArray("PATH=/bin", "TERM=xterm", "HOME=/"),
            ["cwd"] = "/",
            ["noNewPrivileges"] = true,
        };
        if (capabilities is not null)
        {
            var set = new JsonObject();
            foreach (var kind in new[] { "bounding", "effective", "permitted" })
            {
                var list = new JsonArray();
                foreach (var c in capabilities)
                {
                    list.Add(c);
                }

                set[kind] = list;
            }

            process["capabilities"] = set;
        }

        return process;
    }

    private static JsonObject Mount(string destination, string type, string source, params string[] options)
    {
        var list = new JsonArray();
        foreach (var o in options)
        {
            list.Add(o);
        }

        return new JsonObject { ["destination"] = destination, ["type"] = type, ["source"] = source, ["options"] = list };
    }
}
