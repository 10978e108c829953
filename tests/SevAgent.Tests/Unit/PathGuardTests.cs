using SevAgent.Containers;
using SevAgent.Errors;

namespace SevAgent.Tests.Unit;

public sealed class PathGuardTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("pathguard-").FullName;

    public PathGuardTests()
    {
        Directory.CreateDirectory(Path.Combine(_root, "share", "c1", "rootfs"));
        Directory.CreateSymbolicLink(Path.Combine(_root, "share", "evil"), "/");
        Directory.CreateSymbolicLink(Path.Combine(_root, "share", "inner"), "c1/rootfs");
        Directory.CreateDirectory(Path.Combine(_root, "outside"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Resolves_a_path_inside_the_share()
    {
        var resolved = PathGuard.ResolveUnder(Path.Combine(_root, "share"), "c1/rootfs", "rootfs");
        Assert.Equal(Path.Combine(_root, "share", "c1", "rootfs"), resolved);
    }

    [Fact]
    public void Follows_symlinks_that_stay_inside() =>
        Assert.Equal(Path.Combine(_root, "share", "c1", "rootfs"), PathGuard.ResolveUnder(Path.Combine(_root, "share"), "inner", "rootfs"));

    [Theory]
    [InlineData("../outside")]
    [InlineData("c1/../../outside")]
    [InlineData("/etc")]
    [InlineData("evil")]
    [InlineData("evil/etc")]
    [InlineData("")]
    [InlineData("missing")]
    public void Rejects_paths_that_escape_or_do_not_exist(string relative)
    {
        var e = Assert.Throws<AgentException>(() => PathGuard.ResolveUnder(Path.Combine(_root, "share"), relative, "rootfs.shared.path"));
        Assert.Equal(AgentErrorKind.InvalidArgument, e.Kind);
        Assert.Contains("rootfs.shared.path", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("c1")]
    [InlineData("abc-DEF_1.2")]
    public void Accepts_plain_ids(string id) => PathGuard.CheckId(id, "container_id");

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("-x")]
    [InlineData(".hidden")]
    public void Rejects_ids_that_are_not_plain_names(string id)
    {
        var e = Assert.Throws<AgentException>(() => PathGuard.CheckId(id, "container_id"));
        Assert.Equal(AgentErrorKind.InvalidArgument, e.Kind);
    }

    [Fact]
    public void IsInside_needs_a_separator() =>
        Assert.False(PathGuard.IsInside("/run/share", "/run/shared"));
}
