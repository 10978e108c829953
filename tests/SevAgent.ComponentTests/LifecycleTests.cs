using System.Text;
using Google.Protobuf;
using Grpc.Core;
using SevAgent.Protocol.V1;
using TestSupport;

namespace SevAgent.ComponentTests;

/// <summary>The agent on the host with real crun: guest info, stdio, exit codes, stdin, signals, bad requests.</summary>
public sealed class LifecycleTests(AgentProcess agent) : AgentTestBase(agent)
{
    [E2EFact(Requirement.Root, Requirement.Crun)]
    public async Task Guest_info_and_health_answer()
    {
        await StartAgentAsync();

        var info = await Client.GetGuestInfoAsync(new GetGuestInfoRequest(), cancellationToken: Timeout);
        Assert.False(string.IsNullOrEmpty(info.KernelRelease));
        Assert.True(info.MemoryTotalBytes > 0);
        Assert.True(info.Cpus >= 1);
        Assert.NotEqual(0, info.AgentPid);
        Assert.NotEqual(SevStatus.Types.State.Unspecified, info.Sev.State);
        if (info.Sev.State == SevStatus.Types.State.Unknown)
        {
            Assert.False(string.IsNullOrEmpty(info.Sev.Reason));
        }

        var health = await Client.HealthAsync(new HealthRequest(), cancellationToken: Timeout);
        Assert.Equal(HealthResponse.Types.ServingStatus.Serving, health.Status);
    }

    [E2EFact(Requirement.Root, Requirement.Crun)]
    public async Task Echo_keeps_stdout_and_stderr_apart()
    {
        await StartAgentAsync();

        var (stdout, stderr, exit) = await RunAsync(["sh", "-c", "echo to-out; echo to-err >&2; hostname"]);

        Assert.Equal("to-out\nsevtest\n", stdout);
        Assert.Equal("to-err\n", stderr);
        Assert.Equal(0u, exit);
    }

    [E2EFact(Requirement.Root, Requirement.Crun)]
    public async Task Exit_codes_are_reported()
    {
        await StartAgentAsync();

        Assert.Equal(0u, (await RunAsync(["true"])).Exit);
        Assert.Equal(1u, (await RunAsync(["false"])).Exit);
        Assert.Equal(42u, (await RunAsync(["sh", "-c", "exit 42"])).Exit);
        // A signal death inside the container (sh is its pid 1, which the kernel shields from
        // its own namespace, so the victim is a child whose status sh passes on).
        Assert.Equal(137u, (await RunAsync(["sh", "-c", "sleep 1000 & kill -9 $!; wait $!"])).Exit);
    }

    [E2EFact(Requirement.Root, Requirement.Crun)]
    public async Task Stdin_reaches_the_process_and_close_gives_eof()
    {
        await StartAgentAsync();
        var id = NewId("cat");
        await CreateAsync(id, ["cat"], new Stdio { Stdin = true, Stdout = true, Stderr = true });
        var stdout = ReadStdoutAsync(id);
        await Client.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cancellationToken: Timeout);

        using (var write = Client.WriteStdin(cancellationToken: Timeout))
        {
            await write.RequestStream.WriteAsync(new StdinChunk { ContainerId = id, Data = ByteString.CopyFromUtf8("hello ") });
            await write.RequestStream.WriteAsync(new StdinChunk { Data = ByteString.CopyFromUtf8("agent\n") });
            await write.RequestStream.CompleteAsync();
            Assert.Equal(12u, (await write.ResponseAsync).BytesWritten);
        }

        await Client.CloseStdinAsync(new CloseStdinRequest { ContainerId = id }, cancellationToken: Timeout);

        Assert.Equal("hello agent\n", await stdout);
        Assert.Equal(0u, (await WaitAsync(id)).ExitStatus);
    }

    [E2EFact(Requirement.Root, Requirement.Crun)]
    public async Task Signals_reach_the_process_and_give_128_plus_signal()
    {
        await StartAgentAsync();
        var id = NewId("sig");
        await CreateAsync(id, ["sleep", "1000"], new Stdio());
        await Client.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cancellationToken: Timeout);

        await Client.SignalProcessAsync(new SignalProcessRequest { ContainerId = id, Signal = 9 }, cancellationToken: Timeout);
        var exit = await WaitAsync(id);

        Assert.Equal(137u, exit.ExitStatus);
        Assert.NotNull(exit.ExitedAt);
        // A second waiter gets the same answer at once; signalling an exited process is not an error.
        Assert.Equal(137u, (await WaitAsync(id)).ExitStatus);
        await Client.SignalProcessAsync(new SignalProcessRequest { ContainerId = id, Signal = 15 }, cancellationToken: Timeout);

        var id2 = NewId("sigall");
        await CreateAsync(id2, ["sh", "-c", "trap 'exit 3' TERM; sleep 1000 & echo ready; wait"], new Stdio { Stdout = true });
        using var ready = Client.ReadStdout(new ReadStreamRequest { ContainerId = id2 }, cancellationToken: Timeout);
        await Client.StartContainerAsync(new StartContainerRequest { ContainerId = id2 }, cancellationToken: Timeout);
        Assert.True(await ready.ResponseStream.MoveNext(Timeout));
        Assert.Equal("ready\n", ready.ResponseStream.Current.Data.ToStringUtf8());
        // SIGTERM to every process: the init (pid 1 in its namespace) only reacts through its trap.
        await Client.SignalProcessAsync(new SignalProcessRequest { ContainerId = id2, Signal = 15, All = true }, cancellationToken: Timeout);
        Assert.Equal(3u, (await WaitAsync(id2)).ExitStatus);
    }

    [E2EFact(Requirement.Root, Requirement.Crun)]
    public async Task Bad_requests_get_clear_errors_and_the_agent_keeps_serving()
    {
        await StartAgentAsync();
        Directory.CreateSymbolicLink(Path.Combine(Agent.ShareDir, "escape-" + Guid.NewGuid().ToString("N")[..6]), "/");

        async Task<RpcException> Fails(Func<Task> call) => await Assert.ThrowsAsync<RpcException>(call);

        var unknown = await Fails(() => Client.StartContainerAsync(new StartContainerRequest { ContainerId = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknown.StatusCode);
        Assert.Contains("nope", unknown.Status.Detail, StringComparison.Ordinal);

        var unknownWait = await Fails(() => Client.WaitProcessAsync(new WaitProcessRequest { ContainerId = "nope" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknownWait.StatusCode);

        var id = NewId("dup");
        await CreateAsync(id, ["true"], new Stdio());
        var duplicate = await Fails(() => CreateAsync(id, ["true"], new Stdio()));
        Assert.Equal(StatusCode.AlreadyExists, duplicate.StatusCode);
        var unknownExec = await Fails(() => Client.WaitProcessAsync(new WaitProcessRequest { ContainerId = id, ExecId = "x" }).ResponseAsync);
        Assert.Equal(StatusCode.NotFound, unknownExec.StatusCode);
        var notRunning = await Fails(() => Client.ExecProcessAsync(new ExecProcessRequest
        {
            ContainerId = id, ExecId = "e1", ProcessJson = Specs.Process(["true"]).ToJsonString(),
        }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, notRunning.StatusCode);

        var badJson = await Fails(() => Client.CreateContainerAsync(new CreateContainerRequest
        {
            ContainerId = NewId("json"), OciSpecJson = "{not json", Rootfs = new Rootfs { Shared = new SharedRootfs { Path = "rootfs" } },
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, badJson.StatusCode);
        Assert.Contains("oci_spec_json", badJson.Status.Detail, StringComparison.Ordinal);

        foreach (var path in new[] { "../..", "/etc", "rootfs/../../x" })
        {
            var escape = await Fails(() => CreateAsync(NewId("esc"), ["true"], new Stdio(), rootfs: path));
            Assert.Equal(StatusCode.InvalidArgument, escape.StatusCode);
        }

        var symlink = Directory.EnumerateFileSystemEntries(Agent.ShareDir, "escape-*").First();
        var viaSymlink = await Fails(() => CreateAsync(NewId("esc"), ["true"], new Stdio(), rootfs: Path.GetFileName(symlink)));
        Assert.Equal(StatusCode.InvalidArgument, viaSymlink.StatusCode);
        Assert.Contains("outside the share", viaSymlink.Status.Detail, StringComparison.Ordinal);

        var mountEscape = await Fails(() => Client.CreateContainerAsync(new CreateContainerRequest
        {
            ContainerId = NewId("mnt"),
            OciSpecJson = Specs.Container(["true"]),
            Rootfs = new Rootfs { Shared = new SharedRootfs { Path = "rootfs" } },
            GuestMounts = { new GuestMount { Destination = "/data", SharedPath = "../../etc" } },
        }).ResponseAsync);
        Assert.Equal(StatusCode.InvalidArgument, mountEscape.StatusCode);

        var badId = await Fails(() => CreateAsync("../evil", ["true"], new Stdio()));
        Assert.Equal(StatusCode.InvalidArgument, badId.StatusCode);

        // Still serving, and the failed creates left nothing behind: the ids are free again.
        Assert.Equal(HealthResponse.Types.ServingStatus.Serving, (await Client.HealthAsync(new HealthRequest())).Status);
        var (stdout, _, exit) = await RunAsync(["echo", "still-here"]);
        Assert.Equal("still-here\n", stdout);
        Assert.Equal(0u, exit);
    }

    [E2EFact(Requirement.Root, Requirement.Crun)]
    public async Task A_request_body_that_comes_late_does_not_close_the_connection()
    {
        // Under load the client can be descheduled between a call's HEADERS and its DATA frame;
        // Kestrel's default MinRequestBodyDataRate (240 B/s after a 5 s grace) then aborted the
        // whole HTTP/2 connection, and every call on it failed with "The HTTP/2 server closed the
        // connection" (issue 14).
        await StartAgentAsync();
        using var client = LateBodyProbe.NewClient(Agent.SocketPath);
        Assert.Equal("0", await LateBodyProbe.HealthAsync(client, TimeSpan.Zero, Timeout));
        var late = LateBodyProbe.HealthAsync(client, TimeSpan.FromSeconds(8), Timeout);
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal("0", await LateBodyProbe.HealthAsync(client, TimeSpan.Zero, Timeout));
        Assert.Equal("0", await late);
        Assert.Equal("0", await LateBodyProbe.HealthAsync(client, TimeSpan.Zero, Timeout));
    }

    [E2EFact(Requirement.Root, Requirement.Crun)]
    public async Task A_new_connection_is_served_and_output_survives_a_cancelled_reader()
    {
        await StartAgentAsync();
        var id = NewId("reconn");
        await CreateAsync(id, ["sh", "-c", "echo first; read x; echo second"], new Stdio { Stdin = true, Stdout = true });
        await Client.StartContainerAsync(new StartContainerRequest { ContainerId = id }, cancellationToken: Timeout);

        // Read "first" on one connection, then drop that connection entirely.
        using (var channel = Agent.NewChannel())
        {
            var client = new Agent.AgentClient(channel);
            using var call = client.ReadStdout(new ReadStreamRequest { ContainerId = id }, cancellationToken: Timeout);
            Assert.True(await call.ResponseStream.MoveNext(Timeout));
            Assert.Equal("first\n", call.ResponseStream.Current.Data.ToStringUtf8());
        }

        // The new reader attaches before new output is made, as the shim re-reads after a
        // reconnect: until the agent has seen the old call go (under load that takes a while) a
        // ReadStdout is refused "already has a reader", and output made in that window would be
        // written to the dead call. A call that has not failed within a second is attached.
        AsyncServerStreamingCall<OutputChunk>? reader = null;
        Task<bool>? firstChunk = null;
        for (var attempt = 0; reader is null; attempt++)
        {
            var call = Client.ReadStdout(new ReadStreamRequest { ContainerId = id }, cancellationToken: Timeout);
            var next = call.ResponseStream.MoveNext(Timeout);
            if (await Task.WhenAny(next, Task.Delay(TimeSpan.FromSeconds(1), Timeout)) != next)
            {
                (reader, firstChunk) = (call, next);
                break;
            }

            var refused = await Assert.ThrowsAsync<RpcException>(() => next);
            Assert.True(refused.StatusCode == StatusCode.FailedPrecondition && attempt < 60, $"ReadStdout after the reconnect: {refused.Status}");
            call.Dispose();
        }

        using (reader)
        {
            using (var write = Client.WriteStdin(cancellationToken: Timeout))
            {
                await write.RequestStream.WriteAsync(new StdinChunk { ContainerId = id, Data = ByteString.CopyFrom("go\n", Encoding.UTF8) });
                await write.RequestStream.CompleteAsync();
                await write.ResponseAsync;
            }

            Assert.True(await firstChunk!);
            var text = reader.ResponseStream.Current.Data.ToStringUtf8();
            while (await reader.ResponseStream.MoveNext(Timeout))
            {
                text += reader.ResponseStream.Current.Data.ToStringUtf8();
            }

            Assert.Equal("second\n", text);
        }

        Assert.Equal(0u, (await WaitAsync(id)).ExitStatus);
    }
}
