using Grpc.Core;
using SevAgent.Containers;
using SevAgent.Protocol.V1;

namespace SevAgent.Tests.Unit;

public sealed class NamespaceJoinsTests
{
    private static int PidOf(string id) => id == "pause" ? 321 : throw new RpcException(new Status(StatusCode.NotFound, $"container {id} not found"));

    [Fact]
    public void Each_join_becomes_the_proc_link_of_the_named_containers_init()
    {
        var paths = NamespaceJoins.Resolve(
            "app",
            [new NamespaceJoin { Type = "ipc", ContainerId = "pause" }, new NamespaceJoin { Type = "mount", ContainerId = "pause" }],
            PidOf);

        Assert.Equal("/proc/321/ns/ipc", paths["ipc"]);
        Assert.Equal("/proc/321/ns/mnt", paths["mount"]);
    }

    [Theory]
    [InlineData("network", "pause", StatusCode.InvalidArgument, "cannot be joined")]
    [InlineData("bogus", "pause", StatusCode.InvalidArgument, "cannot be joined")]
    [InlineData("ipc", "app", StatusCode.InvalidArgument, "the container itself")]
    [InlineData("ipc", "../x", StatusCode.InvalidArgument, "not a plain name")]
    [InlineData("ipc", "gone", StatusCode.NotFound, "gone")]
    public void Bad_joins_are_refused_naming_them(string type, string container, StatusCode code, string text)
    {
        var e = Assert.Throws<RpcException>(() => NamespaceJoins.Resolve("app", [new NamespaceJoin { Type = type, ContainerId = container }], PidOf));

        Assert.Equal(code, e.StatusCode);
        Assert.Contains(text, e.Status.Detail, StringComparison.Ordinal);
    }
}
