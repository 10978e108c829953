using System.Runtime.CompilerServices;
using Grpc.Core;
using Grpc.Net.Client;
using SevShim.Io;
using SevShim.Network;
using SevShim.Rootfs;
using SevShim.Sandbox;
using Proto = SevAgent.Protocol.V1;

namespace SevShim.Agent;

/// <summary>
/// <see cref="IGuestAgent"/> over gRPC: the only type of the shim that calls the generated
/// agent client, with <see cref="AgentProtoMapper"/> for the messages. Each unary call's failure
/// becomes a ShimException naming the operation (<see cref="AgentErrors"/>).
/// Made by <see cref="AgentConnector.ConnectAsync"/> once the agent answered.
/// Process stdio goes over the <see cref="StdioLink"/> when there is one, else as gRPC streams.
/// Ownership: owns the channel (one HTTP/2 connection) and the stdio link; thread-safe, as gRPC clients are.
/// </summary>
internal sealed class GuestAgent : IGuestAgent
{
    private readonly GrpcChannel _channel;
    private readonly CallInvoker _invoker;
    private readonly Proto.Agent.AgentClient _client;
    private readonly StdioLink? _stdio;

    internal GuestAgent(GrpcChannel channel, StdioLink? stdio = null)
    {
        _channel = channel;
        _stdio = stdio;
        _invoker = channel.CreateCallInvoker();
        _client = new Proto.Agent.AgentClient(_invoker);
    }

    /// <inheritdoc/>
    public async Task<GuestInfo> GetGuestInfoAsync(CancellationToken cancellationToken) =>
        AgentProtoMapper.FromProto(await CallAsync("reading guest info", _client.GetGuestInfoAsync(new Proto.GetGuestInfoRequest(), cancellationToken: cancellationToken)).ConfigureAwait(false));

    /// <inheritdoc/>
    public async Task<GuestAttestationReport> GetAttestationReportAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken)
    {
        var answer = await CallAsync(
            "getting the SNP attestation report",
            _client.GetAttestationReportAsync(new Proto.GetAttestationReportRequest { ReportData = Google.Protobuf.ByteString.CopyFrom(reportData.Span) }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return new GuestAttestationReport(answer.Report.ToByteArray(), answer.Certificates.ToByteArray(), answer.Provider);
    }

    /// <inheritdoc/>
    public Task ConfigureNetworkAsync(PodNetworkPlan plan, CancellationToken cancellationToken) =>
        CallAsync("configuring the pod network in the guest", _client.ConfigureNetworkAsync(NetworkRequest.From(plan), cancellationToken: cancellationToken));

    /// <inheritdoc/>
    public async Task<uint> CreateContainerAsync(GuestContainerSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var response = await CallAsync($"creating container {spec.ContainerId}", _client.CreateContainerAsync(AgentProtoMapper.ToProto(spec), cancellationToken: cancellationToken)).ConfigureAwait(false);
        return (uint)response.Pid;
    }

    /// <inheritdoc/>
    public async Task<uint> StartContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        var response = await CallAsync($"starting container {containerId}", _client.StartContainerAsync(new Proto.StartContainerRequest { ContainerId = containerId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return (uint)response.Pid;
    }

    /// <inheritdoc/>
    public async Task<uint> ExecProcessAsync(GuestExecSpec spec, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var response = await CallAsync(
            $"starting exec {spec.Process.ExecId} in {spec.Process.ContainerId}",
            _client.ExecProcessAsync(AgentProtoMapper.ToProto(spec), cancellationToken: cancellationToken)).ConfigureAwait(false);
        return (uint)response.Pid;
    }

    /// <inheritdoc/>
    public Task SignalAsync(GuestProcessId process, uint signal, bool all, CancellationToken cancellationToken) =>
        CallAsync(
            $"signalling {process}",
            _client.SignalProcessAsync(new Proto.SignalProcessRequest { ContainerId = process.ContainerId, ExecId = process.ExecId, Signal = signal, All = all }, cancellationToken: cancellationToken));

    /// <inheritdoc/>
    public Task ResizeTtyAsync(GuestProcessId process, uint width, uint height, CancellationToken cancellationToken) =>
        CallAsync(
            $"resizing the terminal of {process}",
            _client.ResizeTtyAsync(new Proto.ResizeTtyRequest { ContainerId = process.ContainerId, ExecId = process.ExecId, Width = width, Height = height }, cancellationToken: cancellationToken));

    /// <inheritdoc/>
    public async Task<uint> WaitProcessAsync(GuestProcessId process, CancellationToken cancellationToken)
    {
        var response = await CallAsync(
            $"waiting for {process}",
            _client.WaitProcessAsync(new Proto.WaitProcessRequest { ContainerId = process.ContainerId, ExecId = process.ExecId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return response.ExitStatus;
    }

    /// <inheritdoc/>
    /// <remarks>force: the task service deletes only exited or never-started containers; a created-but-not-started init must be killed for crun to delete it.</remarks>
    public Task DeleteContainerAsync(string containerId, CancellationToken cancellationToken) =>
        CallAsync($"deleting container {containerId}", _client.DeleteContainerAsync(new Proto.DeleteContainerRequest { ContainerId = containerId, Force = true }, cancellationToken: cancellationToken));

    /// <inheritdoc/>
    public Task DeleteProcessAsync(GuestProcessId process, CancellationToken cancellationToken) =>
        CallAsync(
            $"deleting exec {process.ExecId} of container {process.ContainerId}",
            _client.DeleteProcessAsync(new Proto.DeleteProcessRequest { ContainerId = process.ContainerId, ExecId = process.ExecId }, cancellationToken: cancellationToken));

    /// <inheritdoc/>
    public Task PauseContainerAsync(string containerId, CancellationToken cancellationToken) =>
        CallAsync($"pausing {containerId}", _client.PauseContainerAsync(new Proto.PauseContainerRequest { ContainerId = containerId }, cancellationToken: cancellationToken));

    /// <inheritdoc/>
    public Task ResumeContainerAsync(string containerId, CancellationToken cancellationToken) =>
        CallAsync($"resuming {containerId}", _client.ResumeContainerAsync(new Proto.ResumeContainerRequest { ContainerId = containerId }, cancellationToken: cancellationToken));

    /// <inheritdoc/>
    public Task UpdateContainerAsync(string containerId, string resourcesJson, CancellationToken cancellationToken) =>
        CallAsync(
            $"updating the resources of {containerId}",
            _client.UpdateContainerAsync(new Proto.UpdateContainerRequest { ContainerId = containerId, ResourcesJson = resourcesJson }, cancellationToken: cancellationToken));

    /// <inheritdoc/>
    public async Task<ContainerStats> StatsContainerAsync(string containerId, CancellationToken cancellationToken) =>
        StatsMapper.ToDomain(await CallAsync(
            $"reading the stats of {containerId}",
            _client.StatsContainerAsync(new Proto.StatsContainerRequest { ContainerId = containerId }, cancellationToken: cancellationToken)).ConfigureAwait(false));

    /// <inheritdoc/>
    public async Task<int> CountProcessesAsync(string containerId, CancellationToken cancellationToken)
    {
        var response = await CallAsync(
            $"listing the processes of {containerId}",
            _client.ListProcessesAsync(new Proto.ListProcessesRequest { ContainerId = containerId }, cancellationToken: cancellationToken)).ConfigureAwait(false);
        return response.Pids.Count;
    }

    /// <inheritdoc/>
    public Task SyncVolumeAsync(CopiedVolume volume, IReadOnlyList<VolumeEntry> entries, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(volume);
        return CallAsync($"copying volume {volume.HostSource} into the pod VM", _client.SyncVolumeAsync(AgentProtoMapper.ToProto(volume, entries), cancellationToken: cancellationToken));
    }

    /// <inheritdoc/>
    public Task ShutdownAsync(CancellationToken cancellationToken) =>
        CallAsync("shutting the guest down", _client.ShutdownAsync(new Proto.ShutdownRequest(), cancellationToken: cancellationToken));

    /// <inheritdoc/>
    public async IAsyncEnumerable<string> OomEventsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var call = _client.StreamOomEvents(new Proto.StreamOomEventsRequest(), cancellationToken: cancellationToken);
        while (await NextAsync(call.ResponseStream, "reading the guest's OOM events", cancellationToken).ConfigureAwait(false))
        {
            yield return call.ResponseStream.Current.ContainerId;
        }
    }

    /// <inheritdoc/>
    public IGuestOutputStream OpenOutput(GuestProcessId process, GuestOutputKind kind, CancellationToken cancellationToken)
    {
        if (_stdio is not null)
        {
            return _stdio.OpenOutput(process, kind, cancellationToken);
        }

        var request = new Proto.ReadStreamRequest { ContainerId = process.ContainerId, ExecId = process.ExecId };
        var method = kind == GuestOutputKind.Stdout ? OutputStreamMethods.ReadStdout : OutputStreamMethods.ReadStderr;
        var call = _invoker.AsyncServerStreamingCall(method, null, new CallOptions(cancellationToken: cancellationToken), request);
        return new GrpcOutputStream(call, $"reading the {(kind == GuestOutputKind.Stdout ? "stdout" : "stderr")} of {process}");
    }

    /// <inheritdoc/>
    public IGuestStdinStream OpenStdin(GuestProcessId process, CancellationToken cancellationToken) =>
        _stdio?.OpenStdin(process, cancellationToken) ?? new GrpcStdinStream(_client, process, cancellationToken);

    /// <inheritdoc/>
    public async IAsyncEnumerable<IReadOnlyList<GuestListener>> WatchListenersAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var call = _client.WatchListeners(new Proto.WatchListenersRequest(), cancellationToken: cancellationToken);
        while (await NextAsync(call.ResponseStream, "watching the guest's listeners", cancellationToken).ConfigureAwait(false))
        {
            yield return call.ResponseStream.Current.Listeners.Select(l => new GuestListener(l.Port, l.Ipv6)).ToList();
        }
    }

    /// <inheritdoc/>
    public async Task<IGuestPortStream> OpenPortForwardAsync(GuestListener target, CancellationToken cancellationToken) =>
        await GrpcPortStream.OpenAsync(_client, target, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc/>
    public void Dispose()
    {
        _stdio?.Dispose();
        _channel.Dispose();
    }

    private static async Task<T> CallAsync<T>(string operation, AsyncUnaryCall<T> call)
    {
        using (call)
        {
            try
            {
                return await call.ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException ex)
            {
                throw AgentErrors.From(ex, operation);
            }
        }
    }

    private static async Task<bool> NextAsync<T>(IAsyncStreamReader<T> stream, string operation, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.MoveNext(cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw AgentErrors.From(ex, operation);
        }
    }
}
