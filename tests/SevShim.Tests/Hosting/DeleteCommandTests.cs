using SevShim.Hosting;
using SevShim.Protos.Containerd.TaskV2;

namespace SevShim.Tests.Hosting;

public sealed class DeleteCommandTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sevshim-delete-").FullName;

    public void Dispose() => Directory.Delete(_root, true);

    [Fact]
    public void ResponseBytesParseBackAsDeleteResponse()
    {
        var at = new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var response = DeleteResponse.Parser.ParseFrom(DeleteCommand.ResponseBytes(at));
        Assert.Equal(137u, response.ExitStatus);
        Assert.Equal(0u, response.Pid);
        Assert.Equal(at, response.ExitedAt.ToDateTimeOffset());
    }

    [Fact]
    public async Task DeadDaemonSocketIsRemovedWhenNoOtherContainerUsesIt()
    {
        var (bundle, socket) = Bundle("c1", "pod");
        Assert.True(File.Exists(socket));
        var response = await Run(bundle, "c1");
        Assert.Equal(137u, response.ExitStatus);
        Assert.False(File.Exists(socket));
    }

    [Fact]
    public async Task DeadDaemonSocketIsKeptWhileAnotherContainerOfThePodNamesIt()
    {
        var (bundle, socket) = Bundle("c1", "pod");
        _ = Bundle("c2", "pod");
        await Run(bundle, "c1");
        Assert.True(File.Exists(socket));
    }

    [Fact]
    public async Task MissingBundleStillAnswers()
    {
        var response = await Run(Path.Combine(_root, "ns", "gone"), "gone");
        Assert.Equal(137u, response.ExitStatus);
    }

    [Fact]
    public async Task VanishedWorkingDirectoryWithoutBundleFlagStillAnswers()
    {
        var args = ShimArgumentParser.Parse(["-namespace", "ns", "-id", "c9", "delete"]);
        var env = new ShimEnvironment(new Dictionary<string, string>(), string.Empty, "/nonexistent");
        using var warnings = new StringWriter();
        var bytes = await new DeleteCommand(args, env, warnings).RunAsync(CancellationToken.None);
        Assert.Equal(137u, DeleteResponse.Parser.ParseFrom(bytes).ExitStatus);
        Assert.Equal(string.Empty, warnings.ToString());
    }

    [Fact]
    public async Task RunningTwiceIsHarmless()
    {
        var (bundle, socket) = Bundle("c1", "pod");
        await Run(bundle, "c1");
        var again = await Run(bundle, "c1");
        Assert.Equal(137u, again.ExitStatus);
        Assert.False(File.Exists(socket));
    }

    private async Task<DeleteResponse> Run(string bundle, string id)
    {
        var args = ShimArgumentParser.Parse(["-namespace", "ns", "-id", id, "-bundle", bundle, "delete"]);
        var env = new ShimEnvironment(new Dictionary<string, string>(), _root, "/nonexistent");
        using var warnings = new StringWriter();
        using var budget = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var bytes = await new DeleteCommand(args, env, warnings).RunAsync(budget.Token);
        return DeleteResponse.Parser.ParseFrom(bytes);
    }

    /// <summary>A bundle whose address file names a socket path with nothing listening (a dead daemon).</summary>
    private (string Bundle, string Socket) Bundle(string id, string pod)
    {
        var bundle = Directory.CreateDirectory(Path.Combine(_root, "ns", id)).FullName;
        var socket = Path.Combine(_root, pod + ".sock");
        if (!File.Exists(socket))
        {
            // Bound, listened, closed: the path stays, nothing answers (a .NET Socket would unlink it).
            ListeningSocket.TryBind(socket)!.Dispose();
        }

        BundleFiles.WriteAddress(bundle, "unix://" + socket);
        return (bundle, socket);
    }
}
