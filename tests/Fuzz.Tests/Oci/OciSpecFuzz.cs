using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using CsCheck;
using Fuzz.Tests.Harness;
using SevShim.Errors;
using SevShim.Hosting;
using SevShim.Rootfs;
using SevShim.Sandbox;
using Xunit.Abstractions;
using TaskBundleSpec = SevShim.Tasks.BundleSpec;

namespace Fuzz.Tests.Oci;

/// <summary>
/// Target 3: the shim's readers of a bundle's OCI config.json, on mutated seeds (Corpus/oci: a
/// CRI pause spec, a container with every kind of mount, odd shapes) and fresh JSON trees of the
/// spec's keys: the start command's <see cref="SevShim.Hosting.BundleSpec"/> (ShimUsageException),
/// the task service's <see cref="TaskBundleSpec"/> and the mount plan that rewrites the spec for
/// the guest, <see cref="MountPlanner"/> (ShimException). A plan's guest spec is a JSON object
/// whose root.path is the shared rootfs, and every host mount lands inside the pod's share.
/// </summary>
public sealed class OciSpecFuzz(ITestOutputHelper output)
{
    private const string Share = "/run/sevshim/share";
    private const string ContainerId = "c1";

    private static readonly string[] Keys =
        ["ociVersion", "process", "args", "cwd", "env", "terminal", "root", "path", "readonly", "hostname", "mounts", "destination", "type",
         "source", "options", "annotations", BundleSpec.SandboxIdAnnotation, "linux", "namespaces", "cgroupsPath", "resources", "hooks"];

    private static readonly string[] Strings =
        ["bind", "rbind", "ro", "rw", "tmpfs", "proc", "network", "uts", "ipc", "pid", "mount", "/dev/shm", "/dev/shm/", "/etc/hosts", "/data",
         "rootfs", "../../etc", "/", "", "relative/src", "/var/lib/kubelet/pods/p/volumes/kubernetes.io~empty-dir/x", "/run/sock", "/dev/null",
         "/proc/42/ns/ipc", "a\u0000b", "/\u0000", "abc", "..", "/a/../../b"];

    private static readonly Gen<string> Specs = Gen.Frequency(
            (1, Mutations.Text(Corpus.Text("oci"), JsonGen.Tokens)),
            (1, JsonGen.Object(Keys, Strings)))
        .Select(s => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(s)));

    [Fact]
    public Task A_spec_or_the_shims_own_error() => Fuzzer.RunAsync(
        new FuzzTarget<(string Json, bool Copy)>(
            "OCI spec readers",
            Gen.Select(Specs, Gen.Bool),
            input => ReadAll(input.Json, input.Copy),
            ex => ex is ShimUsageException or ShimException,
            input => $"copyVolumes {input.Copy}: {Mutations.Show(input.Json)}")
        {
            AllocationCap = input => (1L << 20) + (input.Json.Length * 400L),
        },
        output);

    private static void ReadAll(string json, bool copyVolumes)
    {
        var hosting = BundleSpec.Parse(Encoding.UTF8.GetBytes(json), "/bundle/config.json");
        _ = hosting.GroupKey(ContainerId);
        _ = TaskBundleSpec.Parse(json, "/bundle/config.json");
        var request = new ContainerCreateRequest(ContainerId, "/run/bundle", json, [], StdioPaths.None);
        var plan = MountPlanner.Plan(request, Share, KindOf, _ => 64 << 20, copyVolumes);
        var guest = JsonNode.Parse(plan.GuestSpecJson) as JsonObject;
        Fuzzer.Require(guest is not null, "the guest spec is not a JSON object");
        Fuzzer.Require(
            guest!["root"]?["path"]?.GetValueKind() == JsonValueKind.String && guest["root"]!["path"]!.GetValue<string>() == MountPlanner.RootfsSharedPath(ContainerId),
            $"the guest spec's root.path is not the shared rootfs: {plan.GuestSpecJson}");
        foreach (var mount in plan.Mounts)
        {
            Fuzzer.Require(mount.Target.StartsWith(Share + "/" + ContainerId + "/", StringComparison.Ordinal), $"a host mount lands outside the share: {mount.Target}");
        }
    }

    // What each host path is, chosen by the path so that every kind turns up.
    private static HostPathKind KindOf(string path) => (HostPathKind)((uint)StringComparer.Ordinal.GetHashCode(path) % 7);
}
