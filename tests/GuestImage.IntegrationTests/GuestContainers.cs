using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using SevAgent.Protocol.V1;
using TestSupport;

namespace GuestImage.IntegrationTests;

/// <summary>The outcome of a container run: exit status and both output streams, kept apart.</summary>
internal sealed record RunResult(uint ExitStatus, byte[] Stdout, byte[] Stderr)
{
    public string StdoutText => Encoding.UTF8.GetString(Stdout);

    public string StderrText => Encoding.UTF8.GetString(Stderr);
}

/// <summary>Container operations the tests repeat, through the agent's gRPC API.</summary>
internal static class GuestContainers
{
    private const string DiagnosticPrefix = "diagnostic-";

    /// <summary>
    /// Makes a busybox rootfs (TestSupport.BusyboxRootfs) at share/rootfs/<paramref name="name"/>
    /// and returns its path relative to the share root, as the agent's SharedRootfs takes it.
    /// </summary>
    public static string CreateRootfs(AgentVm vm, string name)
    {
        ArgumentNullException.ThrowIfNull(vm);
        var relative = Path.Combine("rootfs", name);
        BusyboxRootfs.Create(Path.Combine(vm.Vm.ShareDir, relative));
        return relative;
    }

    /// <summary>Makes a busybox rootfs for <paramref name="id"/> in the share and creates the container.</summary>
    public static async Task CreateAsync(AgentVm vm, string id, JsonObject spec, Stdio stdio, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vm);
        ArgumentNullException.ThrowIfNull(spec);
        var rootfs = CreateRootfs(vm, id);
        var request = new CreateContainerRequest
        {
            ContainerId = id,
            OciSpecJson = spec.ToJsonString(),
            Rootfs = new Rootfs { Shared = new SharedRootfs { Path = rootfs } },
            Stdio = stdio,
        };
        try
        {
            await vm.Client.CreateContainerAsync(request, deadline: AgentVm.Deadline(), cancellationToken: cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.DeadlineExceeded && !id.StartsWith(DiagnosticPrefix, StringComparison.Ordinal))
        {
            throw new InvalidOperationException($"CreateContainer {id} did not answer; guest processes:\n{await GuestProcessesAsync(vm)}", e);
        }
    }

    /// <summary>Reads a stdout/stderr stream to its end.</summary>
    public static async Task<byte[]> ReadAllAsync(AsyncServerStreamingCall<OutputChunk> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        using (call)
        {
            using var buffer = new MemoryStream();
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
                call.ResponseStream.Current.Data.WriteTo(buffer);
            }

            return buffer.ToArray();
        }
    }

    /// <summary>Writes <paramref name="data"/> to a process's stdin, then closes it (the process reads EOF).</summary>
    public static async Task WriteStdinAndCloseAsync(AgentVm vm, string id, string execId, byte[] data, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vm);
        using (var call = vm.Client.WriteStdin(deadline: AgentVm.Deadline(), cancellationToken: cancellationToken))
        {
            await call.RequestStream.WriteAsync(
                new StdinChunk { ContainerId = id, ExecId = execId, Data = ByteString.CopyFrom(data) }, cancellationToken);
            await call.RequestStream.CompleteAsync();
            var written = await call.ResponseAsync;
            Assert.Equal((ulong)data.Length, written.BytesWritten);
        }

        await vm.Client.CloseStdinAsync(
            new CloseStdinRequest { ContainerId = id, ExecId = execId }, deadline: AgentVm.Deadline(), cancellationToken: cancellationToken);
    }

    /// <summary>
    /// Creates, starts and waits for a container with stdout and stderr (and stdin when
    /// <paramref name="stdin"/> is given), then deletes it.
    /// </summary>
    public static async Task<RunResult> RunAsync(AgentVm vm, string id, JsonObject spec, byte[]? stdin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vm);
        await CreateAsync(vm, id, spec, new Stdio { Stdin = stdin is not null, Stdout = true, Stderr = true }, cancellationToken);
        try
        {
            var process = new ReadStreamRequest { ContainerId = id };
            var stdout = ReadAllAsync(vm.Client.ReadStdout(process, cancellationToken: cancellationToken), cancellationToken);
            var stderr = ReadAllAsync(vm.Client.ReadStderr(process, cancellationToken: cancellationToken), cancellationToken);
            await vm.Client.StartContainerAsync(new StartContainerRequest { ContainerId = id }, deadline: AgentVm.Deadline(), cancellationToken: cancellationToken);
            if (stdin is not null)
            {
                await WriteStdinAndCloseAsync(vm, id, string.Empty, stdin, cancellationToken);
            }

            var exit = await vm.Client.WaitProcessAsync(new WaitProcessRequest { ContainerId = id }, cancellationToken: cancellationToken);
            return new RunResult(exit.ExitStatus, await stdout, await stderr);
        }
        finally
        {
            await DeleteAsync(vm, id);
        }
    }

    /// <summary>Force-deletes a container; an unknown one is fine (cleanup after a failed test).</summary>
    public static async Task DeleteAsync(AgentVm vm, string id)
    {
        ArgumentNullException.ThrowIfNull(vm);
        try
        {
            await vm.Client.DeleteContainerAsync(new DeleteContainerRequest { ContainerId = id, Force = true }, deadline: AgentVm.Deadline());
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            // Already gone.
        }
    }

    /// <summary>
    /// Lists the guest's processes (pid, wait channel, state, parent, command) and mounts from a
    /// container without its own pid namespace, for the message of a call that hung.
    /// </summary>
    private static async Task<string> GuestProcessesAsync(AgentVm vm)
    {
        const string script =
            "for p in /proc/[0-9]*; do echo $p $(cat $p/wchan 2>/dev/null) $(cut -d' ' -f3,4 $p/stat) $(tr '\\0' ' ' < $p/cmdline); done; cat /proc/mounts";
        try
        {
            var result = await RunAsync(vm, DiagnosticPrefix + Guid.NewGuid().ToString("N")[..8], OciSpec.Create(["sh", "-c", script], pidNamespace: false), null, CancellationToken.None)
                .WaitAsync(TimeSpan.FromSeconds(90), CancellationToken.None);
            return result.StdoutText + result.StderrText;
        }
        catch (Exception e) when (e is RpcException or TimeoutException or InvalidOperationException)
        {
            return "(could not list them: " + e.Message + ")";
        }
    }
}
