using System.Net.Sockets;
using System.Threading.Channels;
using Google.Protobuf.WellKnownTypes;
using SevShim.Config;
using SevShim.Errors;
using SevShim.Hosting;
using SevShim.Protos.Containerd.EventsTtrpc;
using SevShim.Protos.Containerd.TaskV2;
using SevShim.Tasks;
using Ttrpc;

namespace SevShim.ComponentTests;

/// <summary>
/// The daemon's composition (<see cref="DaemonServices"/>) as the daemon builds it, with only the
/// VM fake (<see cref="FakeSandboxFactory"/>): both task service names answer, events reach
/// TTRPC_ADDRESS in the -namespace namespace, a sandbox's refusal crosses ttrpc with its code and
/// message, and containerd's Shutdown with no container left ends the daemon's lifetime.
/// </summary>
public sealed class DaemonServicesTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Wires_both_task_services_events_and_shutdown_to_the_lifetime()
    {
        var dir = Directory.CreateTempSubdirectory("sevshim-daemon-");
        var received = Channel.CreateUnbounded<Envelope>();
        var forward = new FakeForwardServer(Path.Combine(dir.FullName, "events.sock"), received);
        var taskSocket = Path.Combine(dir.FullName, "task.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(taskSocket));
        listener.Listen(4);
        var server = new TtrpcServer(new TtrpcServerOptions());
        var lifetime = new DaemonLifetime();
        var factory = new FakeSandboxFactory();
        var context = new DaemonContext(
            server,
            lifetime,
            new ShimArguments { Namespace = "ns-daemon", Address = "/nonexistent/containerd.sock", Id = "c1" },
            new ShimEnvironment(new Dictionary<string, string> { ["TTRPC_ADDRESS"] = forward.SocketPath }, dir.FullName, "/proc/self/exe"),
            ShimConfig.Defaults,
            null,
            Serilog.Core.Logger.None);
        var services = DaemonServices.Register(context, factory);
        var serving = server.ServeAsync(listener, CancellationToken.None);
        try
        {
            await using var client = await TtrpcClient.ConnectAsync("unix://" + taskSocket, CancellationToken.None);
            foreach (var service in new[] { TaskTtrpcAdapter.ServiceV2, TaskTtrpcAdapter.ServiceV3 })
            {
                var connect = await client.CallAsync(service, "Connect", new ConnectRequest { Id = "c1" }, ConnectResponse.Parser, Patience, CancellationToken.None);
                Assert.StartsWith("sevshim ", connect.Version, StringComparison.Ordinal);
            }

            factory.FailWith = () => new ShimException(ShimErrorKind.FailedPrecondition, "fake: no VM on this host");
            var refused = await Assert.ThrowsAsync<TtrpcException>(() => client.CallAsync(
                TaskTtrpcAdapter.ServiceV2, "Create", new CreateTaskRequest { Id = "c0", Bundle = Bundle(dir, "c0") }, CreateTaskResponse.Parser, Patience, CancellationToken.None));
            Assert.Equal(TtrpcStatusCode.FailedPrecondition, refused.Code);
            Assert.Contains("fake: no VM on this host", refused.Message, StringComparison.Ordinal);

            factory.FailWith = null;
            var created = await client.CallAsync(
                TaskTtrpcAdapter.ServiceV2, "Create", new CreateTaskRequest { Id = "c1", Bundle = Bundle(dir, "c1") }, CreateTaskResponse.Parser, Patience, CancellationToken.None);
            Assert.NotEqual(0u, created.Pid);
            var envelope = await received.Reader.ReadAsync().AsTask().WaitAsync(Patience);
            Assert.Equal("/tasks/create", envelope.Topic);
            Assert.Equal("ns-daemon", envelope.Namespace);

            // Shutdown while a container remains is ignored (SHIM-PROTOCOL 2.3); once it is gone it ends the daemon.
            await client.CallAsync(TaskTtrpcAdapter.ServiceV2, "Shutdown", new ShutdownRequest { Id = "c1" }, Empty.Parser, Patience, CancellationToken.None);
            Assert.False(lifetime.ExitRequested.IsCompleted);
            await client.CallAsync(TaskTtrpcAdapter.ServiceV2, "Delete", new DeleteRequest { Id = "c1" }, DeleteResponse.Parser, Patience, CancellationToken.None);
            await client.CallAsync(TaskTtrpcAdapter.ServiceV2, "Shutdown", new ShutdownRequest { Id = "c1" }, Empty.Parser, Patience, CancellationToken.None);
            Assert.Equal("Shutdown with no container left", await lifetime.ExitRequested.WaitAsync(Patience));
        }
        finally
        {
            await server.DisposeAsync();
            await serving.WaitAsync(Patience);
            await services.DisposeAsync();
            await forward.DisposeAsync();
            dir.Delete(recursive: true);
        }
    }

    private static string Bundle(DirectoryInfo dir, string id)
    {
        var bundle = Directory.CreateDirectory(Path.Combine(dir.FullName, "bundles", id)).FullName;
        File.WriteAllText(Path.Combine(bundle, "config.json"), "{\"ociVersion\":\"1.0.2\",\"annotations\":{}}");
        return bundle;
    }
}
