using SevShim.Errors;
using SevShim.Qemu;

namespace SevShim.Tests.Qemu;

public sealed class PodStateLayoutTests
{
    [Fact]
    public void EverythingOfAPodLivesInItsOwnFolder()
    {
        var id = new string('a', 64);
        var layout = PodStateLayout.For(PodStateLayout.DefaultRoot, id);
        Assert.Equal("/run/sevshim/" + id, layout.Directory);
        Assert.Equal(layout.Directory + "/agent.sock", layout.AgentSocket);
        Assert.Equal(layout.Directory + "/qmp.sock", layout.QmpSocket);
        Assert.Equal(layout.Directory + "/console.log", layout.ConsoleLog);
        Assert.Equal(layout.Directory + "/share", layout.ShareDirectory);
        Assert.Equal(layout.Directory + "/staging", layout.StagingDirectory);
    }

    [Fact]
    public void AStateRootTooLongForUnixSocketsIsRefused()
    {
        var ex = Assert.Throws<ShimException>(() => PodStateLayout.For("/" + new string('r', 60), new string('a', 64)));
        Assert.Contains("too long for unix socket paths", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AnIdThatClimbsOutIsRefused() =>
        Assert.Equal(ShimErrorKind.InvalidArgument, Assert.Throws<ShimException>(() => PodStateLayout.For("/run/sevshim", "../etc")).Kind);
}
