using System.Net.Sockets;
using SevShim.Hosting;

namespace SevShim.Tests.Hosting;

public sealed class ListeningSocketTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sevshim-sock-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    [Fact]
    public void SocketIsMode0600AndSurvivesClose()
    {
        var path = Path.Combine(_dir, "s");
        using (var listener = ListeningSocket.TryBind(path))
        {
            Assert.NotNull(listener);
            var mode = OperatingSystem.IsLinux() ? File.GetUnixFileMode(path) : UnixFileMode.None;
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, mode);
        }

        Assert.True(File.Exists(path));
    }

    [Fact]
    public async Task LiveSocketIsReusedAndStaleOneReplaced()
    {
        var path = Path.Combine(_dir, "s");
        using var live = ListeningSocket.TryBind(path);
        Assert.NotNull(live);
        Assert.Null(ListeningSocket.TryBind(path));
        Assert.Null(await ShimListener.BindOrReuseAsync(path, CancellationToken.None));
        live!.Dispose();

        using var replaced = await ShimListener.BindOrReuseAsync(path, CancellationToken.None);
        Assert.NotNull(replaced);
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(path));
        Assert.True(client.Connected);
    }
}
