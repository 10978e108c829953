using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using SevShim.Agent;
using SevShim.Errors;
using SevShim.Io;
using SevShim.Network;
using SevShim.Rootfs;
using SevShim.Sandbox;

namespace SevShim.Fakes;

/// <summary>
/// A fake of the pod VM's agent for component tests: the guest's localhost listeners are what the
/// test pushes (<see cref="PublishListeners"/>), a forwarded connection echoes its bytes upper-cased
/// and ends when the client's side does, and a port in <see cref="RefusedPorts"/> fails as the
/// agent does when nothing listens there. Everything else is not needed by the tests using it.
/// </summary>
internal sealed class FakeGuestAgent : IGuestAgent
{
    private readonly Channel<IReadOnlyList<GuestListener>> _listeners = Channel.CreateUnbounded<IReadOnlyList<GuestListener>>();
    private int _watchCalls;

    /// <summary>Ports whose forward the "guest" refuses.</summary>
    public ConcurrentDictionary<uint, bool> RefusedPorts { get; } = new();

    /// <summary>When set, WatchListeners fails with this kind (an older agent: Unimplemented).</summary>
    public ShimErrorKind? WatchFailure { get; init; }

    /// <summary>How many times WatchListeners was called.</summary>
    public int WatchCalls => Volatile.Read(ref _watchCalls);

    /// <summary>Connections the "guest" accepted, by port.</summary>
    public ConcurrentDictionary<uint, int> Forwarded { get; } = new();

    /// <summary>The guest now listens on exactly <paramref name="listeners"/>.</summary>
    public void PublishListeners(params GuestListener[] listeners) => _listeners.Writer.TryWrite(listeners);

    /// <inheritdoc/>
    public async IAsyncEnumerable<IReadOnlyList<GuestListener>> WatchListenersAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _watchCalls);
        if (WatchFailure is { } kind)
        {
            throw new ShimException(kind, "sevshim: watching the guest's listeners: fake failure");
        }

        while (await _listeners.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_listeners.Reader.TryRead(out var set))
            {
                yield return set;
            }
        }
    }

    /// <inheritdoc/>
    public Task<IGuestPortStream> OpenPortForwardAsync(GuestListener target, CancellationToken cancellationToken)
    {
        Forwarded.AddOrUpdate(target.Port, 1, (_, n) => n + 1);
        return Task.FromResult<IGuestPortStream>(new EchoStream(RefusedPorts.ContainsKey(target.Port)));
    }

    /// <inheritdoc/>
    public void Dispose() => _listeners.Writer.TryComplete();

    public Task<GuestInfo> GetGuestInfoAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    /// <summary>What GetAttestationReportAsync answers for a nonce (null: not supported).</summary>
    public Func<ReadOnlyMemory<byte>, GuestAttestationReport>? AttestationAnswer { get; set; }

    public Task<GuestAttestationReport> GetAttestationReportAsync(ReadOnlyMemory<byte> reportData, CancellationToken cancellationToken) =>
        AttestationAnswer is { } answer ? Task.FromResult(answer(reportData)) : throw new NotSupportedException();

    public Task ConfigureNetworkAsync(PodNetworkPlan plan, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<uint> CreateContainerAsync(GuestContainerSpec spec, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<uint> StartContainerAsync(string containerId, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<uint> ExecProcessAsync(GuestExecSpec spec, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task SignalAsync(GuestProcessId process, uint signal, bool all, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task ResizeTtyAsync(GuestProcessId process, uint width, uint height, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<uint> WaitProcessAsync(GuestProcessId process, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task DeleteContainerAsync(string containerId, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task DeleteProcessAsync(GuestProcessId process, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task PauseContainerAsync(string containerId, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task ResumeContainerAsync(string containerId, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task UpdateContainerAsync(string containerId, string resourcesJson, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<ContainerStats> StatsContainerAsync(string containerId, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task<int> CountProcessesAsync(string containerId, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task SyncVolumeAsync(CopiedVolume volume, IReadOnlyList<VolumeEntry> entries, CancellationToken cancellationToken) => throw new NotSupportedException();

    public Task ShutdownAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    public IAsyncEnumerable<string> OomEventsAsync(CancellationToken cancellationToken) => throw new NotSupportedException();

    public IGuestOutputStream OpenOutput(GuestProcessId process, GuestOutputKind kind, CancellationToken cancellationToken) => throw new NotSupportedException();

    public IGuestStdinStream OpenStdin(GuestProcessId process, CancellationToken cancellationToken) => throw new NotSupportedException();

    // The "guest server": upper-cases what it gets and closes its side after the client's EOF;
    // refused, it fails the first read as the agent's failed connect does.
    private sealed class EchoStream(bool refused) : IGuestPortStream
    {
        private readonly Channel<byte[]> _back = Channel.CreateUnbounded<byte[]>();

        public Task WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            _back.Writer.TryWrite(data.ToArray().Select(b => b is >= (byte)'a' and <= (byte)'z' ? (byte)(b - 32) : b).ToArray());
            return Task.CompletedTask;
        }

        public Task CompleteWritesAsync()
        {
            _back.Writer.TryComplete();
            return Task.CompletedTask;
        }

        public async ValueTask<ReadOnlyMemory<byte>?> ReadAsync(CancellationToken cancellationToken)
        {
            if (refused)
            {
                throw new ShimException(ShimErrorKind.Unavailable, "sevshim: forwarding: connection refused in the guest (fake)");
            }

            if (await _back.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false) && _back.Reader.TryRead(out var data))
            {
                return data.AsMemory();
            }

            return null;
        }

        public void Dispose() => _back.Writer.TryComplete();
    }
}
