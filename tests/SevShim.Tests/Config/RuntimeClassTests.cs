using TestSupport;
using Tomlyn;
using Tomlyn.Model;

namespace SevShim.Tests.Config;

/// <summary>
/// The shipped RuntimeClass (config/kubernetes/runtimeclass.yaml, README "Kubernetes"): it is
/// a node.k8s.io/v1 RuntimeClass whose handler is the one the containerd snippets declare, and
/// its overhead covers what a pod VM costs the host beyond its containers' limits: the shipped
/// vm.memory_mib (all of it pinned under SEV) plus QEMU's own memory and the shim's as the
/// benchmark last measured them (bench/results/results.md). Changing memory_mib without the
/// overhead, or a benchmark that measures more, fails here.
/// </summary>
public sealed class RuntimeClassTests
{
    private const long MiB = 1 << 20;

    [Fact]
    public void The_runtime_class_names_the_containerd_handler()
    {
        var rc = RuntimeClassFile.Load();

        Assert.Equal("node.k8s.io/v1", rc.Values["apiVersion"]);
        Assert.Equal("RuntimeClass", rc.Values["kind"]);
        Assert.Equal("sevshim", rc.Values["metadata.name"]);
        foreach (var (file, plugin) in new[] { ("config-v2.toml", "io.containerd.grpc.v1.cri"), ("config-v3.toml", "io.containerd.cri.v1.runtime") })
        {
            var model = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(Path.Combine(RepoPaths.Root, "config", "containerd", file)))!;
            var runtimes = (TomlTable)((TomlTable)((TomlTable)((TomlTable)model["plugins"])[plugin])["containerd"])["runtimes"];
            Assert.Equal([rc.Handler], runtimes.Keys);
        }
    }

    [Fact]
    public void The_overhead_covers_the_base_vm_memory_and_the_measured_qemu_and_shim_memory()
    {
        var rc = RuntimeClassFile.Load();
        var config = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(Path.Combine(RepoPaths.Root, "config", "config.toml")))!;
        var baseMib = (long)((TomlTable)config["vm"])["memory_mib"];
        var measured = BenchFigures.Load();

        var needed = (baseMib * MiB) + (long)((measured.QemuOwnMib + measured.ShimMib) * MiB);
        Assert.True(
            rc.OverheadMemoryBytes >= needed,
            $"overhead.podFixed.memory is {rc.OverheadMemoryBytes / MiB} MiB but a pod VM costs {needed / MiB} MiB beyond its limits: " +
            $"vm.memory_mib {baseMib} + QEMU's own {measured.QemuOwnMib:0.0} + shim {measured.ShimMib:0.0} (bench/results/results.md)");
        Assert.InRange(rc.OverheadMilliCpu, 100, 1000);
    }

    [Theory]
    [InlineData("2240Mi", 2240L << 20)]
    [InlineData("1Gi", 1L << 30)]
    [InlineData("512Ki", 512L << 10)]
    [InlineData("1000", 1000L)]
    public void Memory_quantities_parse(string text, long bytes) => Assert.Equal(bytes, RuntimeClassFile.Quantity(text));

    [Fact]
    public void Yaml_beyond_the_subset_is_refused()
    {
        Assert.Throws<FormatException>(() => RuntimeClassFile.Parse("a: 1\n   b: 2\n"));
        Assert.Throws<FormatException>(() => RuntimeClassFile.Parse("list:\n  - x\n"));
        Assert.Equal("v", RuntimeClassFile.Parse("# c\nm:\n  k: \"v\"\n").Values["m.k"]);
    }
}
