using System.Net.Sockets;
using Google.Protobuf.WellKnownTypes;
using SevShim.Protos.Containerd.TaskV2;
using SevShim.Sandbox;
using SevShim.Tasks;
using Ttrpc;

namespace SevShim.Tests.Component;

public sealed class TaskApiRegistrationTests
{
    [Fact]
    public async Task Production_wiring_refuses_create_and_exits_on_shutdown()
    {
        var dir = Directory.CreateTempSubdirectory("sevshim-reg-");
        var socketPath = Path.Combine(dir.FullName, "t.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(socketPath));
        listener.Listen(4);
        var server = new TtrpcServer(new TtrpcServerOptions());
        var exit = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var registration = TaskApiRegistration.Register(server, "default", ttrpcAddress: null, new UnavailableSandbox(), Serilog.Core.Logger.None, r => exit.TrySetResult(r));
        var serving = server.ServeAsync(listener, CancellationToken.None);
        try
        {
            var bundle = Directory.CreateDirectory(Path.Combine(dir.FullName, "b")).FullName;
            File.WriteAllText(Path.Combine(bundle, "config.json"), "{}");
            await using var client = await TtrpcClient.ConnectAsync(socketPath, CancellationToken.None);
            var create = await Assert.ThrowsAsync<TtrpcException>(() => client.CallAsync(
                TaskTtrpcAdapter.ServiceV2, "Create", new CreateTaskRequest { Id = "c1", Bundle = bundle }, CreateTaskResponse.Parser, TimeSpan.FromSeconds(60), CancellationToken.None));
            Assert.Equal(TtrpcStatusCode.FailedPrecondition, create.Code);
            Assert.Equal(UnavailableSandbox.NotAvailableMessage, create.Message);

            var connect = await client.CallAsync(TaskTtrpcAdapter.ServiceV2, "Connect", new ConnectRequest { Id = "c1" }, ConnectResponse.Parser, TimeSpan.FromSeconds(60), CancellationToken.None);
            Assert.StartsWith("sevshim ", connect.Version, StringComparison.Ordinal);
            Assert.False(exit.Task.IsCompleted);
            await client.CallAsync(TaskTtrpcAdapter.ServiceV2, "Shutdown", new ShutdownRequest { Id = "c1" }, Empty.Parser, TimeSpan.FromSeconds(60), CancellationToken.None);
            Assert.Equal("Shutdown with no containers", await exit.Task.WaitAsync(TimeSpan.FromSeconds(60)));
        }
        finally
        {
            await server.DisposeAsync();
            await serving.WaitAsync(TimeSpan.FromSeconds(60));
            await registration.DisposeAsync();
            dir.Delete(recursive: true);
        }
    }
}
