using SevAgent.Containers;
using SevAgent.Errors;
using SevAgent.Protocol.V1;

namespace SevAgent.Tests.Unit;

public sealed class NamespaceJoinsTests
{
    private static int PidOf(string id) => id == "pause" ? 321 : throw AgentException.NotFound($"container {id} not found");

    [Fact]
    public void Each_join_becomes_the_proc_link_of_the_named_containers_init()
    {
        var paths = NamespaceJoins.Resolve(
            "app",
            [new NamespaceJoinSpec("ipc", "pause"), new NamespaceJoinSpec("mount", "pause")],
            PidOf);

        Assert.Equal("/proc/321/ns/ipc", paths["ipc"]);
        Assert.Equal("/proc/321/ns/mnt", paths["mount"]);
    }

    [Theory]
    [InlineData("network", "pause", "InvalidArgument", "cannot be joined")]
    [InlineData("bogus", "pause", "InvalidArgument", "cannot be joined")]
    [InlineData("ipc", "app", "InvalidArgument", "the container itself")]
    [InlineData("ipc", "../x", "InvalidArgument", "not a plain name")]
    [InlineData("ipc", "gone", "NotFound", "gone")]
    public void Bad_joins_are_refused_naming_them(string type, string container, string kind, string text)
    {
        var e = Assert.Throws<AgentException>(() => NamespaceJoins.Resolve("app", [new NamespaceJoinSpec(type, container)], PidOf));

        Assert.Equal(Enum.Parse<AgentErrorKind>(kind), e.Kind);
        Assert.Contains(text, e.Message, StringComparison.Ordinal);
    }
}
