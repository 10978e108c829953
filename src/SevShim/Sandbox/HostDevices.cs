using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using SevShim.Errors;

namespace SevShim.Sandbox;

/// <summary>
/// Decides what becomes of a container's <c>linux.devices</c> in the pod VM (issue 11 item 7).
/// An entry names a device node by the host's major and minor numbers; crun in the guest would
/// make a node with those numbers, which there name the guest kernel's device of that number
/// (8:0 is the VM's own first disk, not the host's), so a host device never enters the VM:
/// <list type="bullet">
/// <item>a privileged container (its device cgroup allows everything, as containerd writes it for
/// CRI's privileged and <c>ctr --privileged</c>) gets containerd's copy of every host device
/// unless the runtime sets <c>privileged_without_host_devices</c>: those entries are dropped, so
/// it is privileged inside the VM only, with the VM's devices (Kata does the same);</item>
/// <item>anything else that asks for a device (a CRI <c>devices</c> entry, a device plugin,
/// <c>ctr --device</c>) is refused naming the device, unless it is one of the kernel's virtual
/// character devices whose numbers Linux fixes (Documentation/admin-guide/devices.txt), which
/// the guest kernel provides itself with the same meaning.</item>
/// </list>
/// Pure (no I/O): unit-tested as is.
/// </summary>
internal static class HostDevices
{
    // (type, major, minor) of the devices that are the same thing in every Linux kernel: the
    // memory class's null, zero, full, random and urandom; tty, console and ptmx; fuse; tun.
    private static readonly HashSet<(string Type, long Major, long Minor)> Virtual =
    [
        ("c", 1, 3), ("c", 1, 5), ("c", 1, 7), ("c", 1, 8), ("c", 1, 9),
        ("c", 5, 0), ("c", 5, 1), ("c", 5, 2),
        ("c", 10, 229), ("c", 10, 200),
    ];

    /// <summary>
    /// Rewrites <paramref name="spec"/>'s linux.devices in place and returns the paths it dropped
    /// (for the log); throws InvalidArgument for a device a non-privileged container asks for.
    /// </summary>
    public static IReadOnlyList<string> Apply(JsonObject spec, string containerId)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if ((spec["linux"] as JsonObject)?["devices"] is not JsonArray devices)
        {
            return [];
        }

        var privileged = AllowsAllDevices(spec);
        var dropped = new List<string>();
        for (var i = devices.Count - 1; i >= 0; i--)
        {
            if (devices[i] is not JsonObject device)
            {
                throw Invalid($"container {containerId} has a linux.devices entry that is not an object: fix the OCI spec");
            }

            var path = Text(device, "path");
            var type = Text(device, "type");
            if (Number(device, "major") is { } major && Number(device, "minor") is { } minor && Virtual.Contains((type == "u" ? "c" : type, major, minor)))
            {
                continue;
            }

            if (privileged)
            {
                dropped.Add(path);
                devices.RemoveAt(i);
                continue;
            }

            throw Invalid(
                $"container {containerId} asks for the host device {(path.Length > 0 ? path : "(no path)")} " +
                $"({type} {Number(device, "major")?.ToString(CultureInfo.InvariantCulture) ?? "?"}:{Number(device, "minor")?.ToString(CultureInfo.InvariantCulture) ?? "?"}); " +
                "a host device cannot enter the pod VM (there the numbers name the VM's own devices): remove it from the pod's devices " +
                "(or its device-plugin resource), or run the pod with runc");
        }

        dropped.Reverse();
        return dropped;
    }

    /// <summary>
    /// True when linux.resources.devices has an allow rule for every device (no type, or type
    /// "a", and no major or minor), as containerd's privileged spec has.
    /// </summary>
    public static bool AllowsAllDevices(JsonObject spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var rules = ((spec["linux"] as JsonObject)?["resources"] as JsonObject)?["devices"] as JsonArray;
        return rules is not null && rules.OfType<JsonObject>().Any(r =>
            r["allow"]?.GetValueKind() == JsonValueKind.True
            && Text(r, "type") is "" or "a"
            && Number(r, "major") is null or -1
            && Number(r, "minor") is null or -1
            && Text(r, "access") is var access && (access.Length == 0 || (access.Contains('r') && access.Contains('w') && access.Contains('m'))));
    }

    private static string Text(JsonObject o, string key) =>
        o[key]?.GetValueKind() == JsonValueKind.String ? o[key]!.GetValue<string>() : string.Empty;

    private static long? Number(JsonObject o, string key) =>
        o[key] is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<long>(out var n) ? n : null;

    private static ShimException Invalid(string message) => new(ShimErrorKind.InvalidArgument, "sevshim: " + message);
}
