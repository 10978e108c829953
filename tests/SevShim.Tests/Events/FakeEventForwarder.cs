using System.Threading.Channels;
using SevShim.Events;
using SevShim.Protos.Containerd.EventsTtrpc;

namespace SevShim.Tests.Events;

/// <summary>
/// Records forwarded envelopes; <see cref="Failure"/> decides per attempt whether to throw
/// (attempt numbers start at 1 and count every call).
/// </summary>
internal sealed class FakeEventForwarder : IEventForwarder
{
    private readonly Channel<Envelope> _delivered = Channel.CreateUnbounded<Envelope>();
    private int _attempts;

    public Func<int, Envelope, Exception?>? Failure { get; set; }

    /// <summary>Awaited before each attempt when set (lets a test hold the pump).</summary>
    public Task? Gate { get; set; }

    public int Attempts => Volatile.Read(ref _attempts);

    public bool Disposed { get; private set; }

    public async Task ForwardAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        if (Gate is { } gate)
        {
            await gate.WaitAsync(cancellationToken);
        }

        var attempt = Interlocked.Increment(ref _attempts);
        if (Failure?.Invoke(attempt, envelope) is { } failure)
        {
            throw failure;
        }

        _delivered.Writer.TryWrite(envelope);
    }

    public async Task<List<Envelope>> TakeAsync(int count)
    {
        var list = new List<Envelope>();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (list.Count < count)
        {
            list.Add(await _delivered.Reader.ReadAsync(timeout.Token));
        }

        return list;
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}
