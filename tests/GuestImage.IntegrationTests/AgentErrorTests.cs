using System.Text.Json.Nodes;
using Grpc.Core;
using SevAgent.Protocol.V1;
using TestSupport;
using Xunit.Abstractions;

namespace GuestImage.IntegrationTests;

/// <summary>Bad requests get the documented gRPC status with a message, and the agent keeps serving.</summary>
[Collection(AgentVmCollection.Name)]
public sealed class AgentErrorTests(AgentVmFixture fixture, ITestOutputHelper output) : AgentVmTestBase(fixture, output)
{
    private static readonly TimeSpan TestTimeout = TimeSpan.FromMinutes(5);

    [E2EFact(Requirement.Qemu, Requirement.GuestImage, Requirement.AgentBinary)]
    public async Task Bad_requests_get_clear_errors_and_the_agent_keeps_serving()
    {
        var vm = await StartAsync();
        using var cts = new CancellationTokenSource(TestTimeout);
        var client = vm.Client;
        var ct = cts.Token;

        await ExpectAsync(vm, StatusCode.NotFound, "no-such-container", () =>
            client.StartContainerAsync(new StartContainerRequest { ContainerId = "no-such-container" }, deadline: AgentVm.Deadline(), cancellationToken: ct).ResponseAsync);
        await ExpectAsync(vm, StatusCode.NotFound, "no-such-container", () =>
            client.WaitProcessAsync(new WaitProcessRequest { ContainerId = "no-such-container" }, deadline: AgentVm.Deadline(), cancellationToken: ct).ResponseAsync);

        const string id = "duplicate";
        await GuestContainers.CreateAsync(vm, id, OciSpec.Create(["sleep", "1000"]), new Stdio(), ct);
        try
        {
            await ExpectAsync(vm, StatusCode.AlreadyExists, id, () =>
                client.CreateContainerAsync(Request(id, OciSpec.Create(["true"]).ToJsonString(), "rootfs/" + id), deadline: AgentVm.Deadline(), cancellationToken: ct).ResponseAsync);
        }
        finally
        {
            await GuestContainers.DeleteAsync(vm, id);
        }

        TestRootfs.Create(vm.Vm.ShareDir, "bad");
        await ExpectAsync(vm, StatusCode.InvalidArgument, "JSON", () =>
            client.CreateContainerAsync(Request("bad-json", "{\"ociVersion\": ", "rootfs/bad"), deadline: AgentVm.Deadline(), cancellationToken: ct).ResponseAsync);
        await ExpectAsync(vm, StatusCode.InvalidArgument, "args", () =>
            client.CreateContainerAsync(Request("no-args", "{\"ociVersion\":\"1.0.2\",\"process\":{}}", "rootfs/bad"), deadline: AgentVm.Deadline(), cancellationToken: ct).ResponseAsync);
        await ExpectAsync(vm, StatusCode.InvalidArgument, "container_id", () =>
            client.CreateContainerAsync(Request("../evil", OciSpec.Create(["true"]).ToJsonString(), "rootfs/bad"), deadline: AgentVm.Deadline(), cancellationToken: ct).ResponseAsync);
        await ExpectAsync(vm, StatusCode.InvalidArgument, "..", () =>
            client.CreateContainerAsync(Request("escape-rootfs", OciSpec.Create(["true"]).ToJsonString(), "../../../etc"), deadline: AgentVm.Deadline(), cancellationToken: ct).ResponseAsync);

        // A symlink in the share that points outside it is resolved in the guest and refused.
        File.CreateSymbolicLink(Path.Combine(vm.Vm.ShareDir, "rootfs", "link-out"), "/etc");
        await ExpectAsync(vm, StatusCode.InvalidArgument, "outside the share", () =>
            client.CreateContainerAsync(Request("escape-symlink", OciSpec.Create(["true"]).ToJsonString(), "rootfs/link-out"), deadline: AgentVm.Deadline(), cancellationToken: ct).ResponseAsync);

        var spec = OciSpec.Create(["true"]);
        ((JsonArray)spec["mounts"]!).Add(new JsonObject
        {
            ["destination"] = "/data",
            ["type"] = "bind",
            ["source"] = "/var/lib/host-volume",
            ["options"] = new JsonArray("rbind", "rw"),
        });
        var escapingMount = Request("escape-mount", spec.ToJsonString(), "rootfs/bad");
        escapingMount.GuestMounts.Add(new GuestMount { Destination = "/data", SharedPath = "../../../../etc" });
        await ExpectAsync(vm, StatusCode.InvalidArgument, "..", () =>
            client.CreateContainerAsync(escapingMount, deadline: AgentVm.Deadline(), cancellationToken: ct).ResponseAsync);

        // None of the rejected ids exists afterwards, and a good container still runs.
        await ExpectAsync(vm, StatusCode.NotFound, "escape-mount", () =>
            client.DeleteContainerAsync(new DeleteContainerRequest { ContainerId = "escape-mount" }, deadline: AgentVm.Deadline(), cancellationToken: ct).ResponseAsync);
        var after = await GuestContainers.RunAsync(vm, "after-errors", OciSpec.Create(["echo", "still-serving"]), null, ct);
        Assert.Equal("still-serving\n", after.StdoutText);
    }

    private static CreateContainerRequest Request(string id, string specJson, string rootfs) => new()
    {
        ContainerId = id,
        OciSpecJson = specJson,
        Rootfs = new Rootfs { Shared = new SharedRootfs { Path = rootfs } },
        Stdio = new Stdio(),
    };

    private static async Task ExpectAsync(AgentVm vm, StatusCode expected, string messagePart, Func<Task> call)
    {
        var e = await Assert.ThrowsAsync<RpcException>(call);
        Assert.True(e.StatusCode == expected, $"expected {expected}, got {e.StatusCode}: {e.Status.Detail}");
        Assert.Contains(messagePart, e.Status.Detail, StringComparison.Ordinal);
        var health = await vm.Client.HealthAsync(new HealthRequest(), deadline: AgentVm.Deadline());
        Assert.Equal(HealthResponse.Types.ServingStatus.Serving, health.Status);
    }
}
