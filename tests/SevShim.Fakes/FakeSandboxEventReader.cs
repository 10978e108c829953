using System.Threading.Channels;
using SevShim.Sandbox;

namespace SevShim.Fakes;

/// <summary>
/// A channel reader that tells the test when its consumer has finished handling the n-th item:
/// the task service's exit loop asks for the next item only after it handled the previous one,
/// so any read attempt after the n-th successful read means "n handled". No sleeps needed.
/// </summary>
internal sealed class FakeSandboxEventReader : ChannelReader<SandboxEvent>
{
    private readonly Channel<SandboxEvent> _inner = Channel.CreateUnbounded<SandboxEvent>();
    private readonly Lock _sync = new();
    private readonly List<(int Count, TaskCompletionSource Done)> _waiters = [];
    private int _successfulReads;
    private int _written;

    public override Task Completion => _inner.Reader.Completion;

    /// <summary>Writes an item and returns a task that completes once the consumer handled it.</summary>
    public Task WriteAndWaitHandledAsync(SandboxEvent item)
    {
        Task handled;
        lock (_sync)
        {
            _written++;
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((_written, tcs));
            handled = tcs.Task;
            _inner.Writer.TryWrite(item);
        }

        return handled;
    }

    public void Complete() => _inner.Writer.TryComplete();

    public override bool TryRead(out SandboxEvent item)
    {
        Observe();
        var ok = _inner.Reader.TryRead(out item!);
        if (ok)
        {
            lock (_sync)
            {
                _successfulReads++;
            }
        }

        return ok;
    }

    public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default)
    {
        Observe();
        return _inner.Reader.WaitToReadAsync(cancellationToken);
    }

    // Any read attempt means every item read so far has been handled.
    private void Observe()
    {
        lock (_sync)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Count <= _successfulReads)
                {
                    _waiters[i].Done.TrySetResult();
                    _waiters.RemoveAt(i);
                }
            }
        }
    }
}
