using System.Text;
using Grpc.Core;
using SevAgent.Protocol.V1;
using TestSupport;

namespace SevAgent.ComponentTests;

/// <summary>Helpers shared by the component tests: containers on the busybox rootfs, stream collection, cleanup.</summary>
public abstract class AgentTestBase : IClassFixture<AgentProcess>, IAsyncLifetime
{
    private readonly List<string> _containers = [];

    protected AgentTestBase(AgentProcess agent)
    {
        Agent = agent;
    }

    protected AgentProcess Agent { get; }

    protected Agent.AgentClient Client => Agent.Client;

    /// <summary>Generous: a loaded 2-core machine.</summary>
    protected static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromSeconds(120)).Token;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var id in _containers)
        {
            try
            {
                await Client.DeleteContainerAsync(new DeleteContainerRequest { ContainerId = id, Force = true });
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
            {
                // Deleted by the test.
            }
        }
    }

    protected async Task StartAgentAsync()
    {
        Prerequisites.Ensure(Requirement.Root, Requirement.Crun);
        await Agent.StartAsync();
    }

    protected static string NewId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..8];

    protected async Task<CreateContainerResponse> CreateAsync(
        string id, string[] args, Stdio stdio, long? memoryLimit = null, string rootfs = "rootfs")
    {
        _containers.Add(id);
        return await Client.CreateContainerAsync(new CreateContainerRequest
        {
            ContainerId = id,
            OciSpecJson = Specs.Container(args, memoryLimit),
            Rootfs = new Rootfs { Shared = new SharedRootfs { Path = rootfs } },
            Stdio = stdio,
        }, cancellationToken: Timeout);
    }

    protected async Task<string> ReadStdoutAsync(string id, string execId = "")
    {
        using var call = Client.ReadStdout(new ReadStreamRequest { ContainerId = id, ExecId = execId }, cancellationToken: Timeout);
        return await CollectAsync(call);
    }

    protected async Task<string> ReadStderrAsync(string id, string execId = "")
    {
        using var call = Client.ReadStderr(new ReadStreamRequest { ContainerId = id, ExecId = execId }, cancellationToken: Timeout);
        return await CollectAsync(call);
    }

    protected async Task<WaitProcessResponse> WaitAsync(string id, string execId = "") =>
        await Client.WaitProcessAsync(new WaitProcessRequest { ContainerId = id, ExecId = execId }, cancellationToken: Timeout);

    /// <summary>Creates, starts and waits for a container; returns stdout, stderr and the exit status.</summary>
    protected async Task<(string Out, string Err, uint Exit)> RunAsync(string[] args)
    {
        var id = NewId("run");
        await CreateAsync(id, args, new Stdio { Stdout = true, Stderr = true });
        var stdout = ReadStdoutAsync(id);
        var stderr = ReadStderrAsync(id);
        await Client.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cancellationToken: Timeout);
        var exit = await WaitAsync(id);
        var result = (await stdout, await stderr, exit.ExitStatus);
        await Client.DeleteContainerAsync(new DeleteContainerRequest { ContainerId = id }, cancellationToken: Timeout);
        return result;
    }

    protected static async Task<string> CollectAsync(AsyncServerStreamingCall<OutputChunk> call)
    {
        var bytes = new List<byte>();
        await foreach (var chunk in call.ResponseStream.ReadAllAsync())
        {
            bytes.AddRange(chunk.Data.ToByteArray());
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
