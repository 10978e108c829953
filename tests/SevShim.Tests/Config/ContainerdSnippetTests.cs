using TestSupport;
using Tomlyn;
using Tomlyn.Model;

namespace SevShim.Tests.Config;

/// <summary>
/// The containerd configuration snippets operators copy (config/containerd/, named in the
/// README's "containerd versions"): each parses as TOML and names the sevshim handler under the
/// CRI plugin of its config version, with the keys the shim relies on. The CRI suite starts
/// containerd with these same tables.
/// </summary>
public sealed class ContainerdSnippetTests
{
    [Theory]
    [InlineData("config-v2.toml", "io.containerd.grpc.v1.cri", null)]
    [InlineData("config-v3.toml", "io.containerd.cri.v1.runtime", "podsandbox")]
    public void Snippet_declares_the_sevshim_handler_with_its_keys(string file, string criPlugin, string? sandboxer)
    {
        var path = Path.Combine(RepoPaths.Root, "config", "containerd", file);
        var model = TomlSerializer.Deserialize<TomlTable>(File.ReadAllText(path)) ?? throw new Xunit.Sdk.XunitException($"{path} is empty");

        var plugins = Table(model, "plugins");
        Assert.Equal([criPlugin], plugins.Keys);
        var runtimes = Table(Table(Table(plugins, criPlugin), "containerd"), "runtimes");
        Assert.Equal(["sevshim"], runtimes.Keys);
        var handler = Table(runtimes, "sevshim");

        Assert.Equal("io.containerd.sevshim.v2", handler["runtime_type"]);
        Assert.Equal(["io.sevshim.*"], ((TomlArray)handler["pod_annotations"]).Cast<string>());
        Assert.Equal(true, handler["privileged_without_host_devices"]);
        Assert.Equal("/etc/sevshim/config.toml", Table(handler, "options")["ConfigPath"]);
        if (sandboxer is null)
        {
            Assert.False(handler.ContainsKey("sandboxer"), $"{file}: 1.x has no sandboxer key");
        }
        else
        {
            Assert.Equal(sandboxer, handler["sandboxer"]);
        }

        var expected = new HashSet<string>(["runtime_type", "pod_annotations", "privileged_without_host_devices", "options"]);
        if (sandboxer is not null)
        {
            expected.Add("sandboxer");
        }

        Assert.Equal(expected.Order(StringComparer.Ordinal), handler.Keys.Order(StringComparer.Ordinal));
    }

    private static TomlTable Table(TomlTable parent, string key) =>
        parent.TryGetValue(key, out var value) && value is TomlTable table
            ? table
            : throw new Xunit.Sdk.XunitException($"no table '{key}' (has: {string.Join(", ", parent.Keys)})");
}
