namespace SevAgentProto.Stdio;

/// <summary>
/// The bytes a stdio stream's sender may still send (its receiver's window). The receiver grants
/// more as it consumes; the sender takes before each Data frame and waits while none is left.
/// Thread-safe: one taker at a time (the stream's sender), any number of granters;
/// <see cref="Fail"/> wakes the taker for good.
/// </summary>
public sealed class StdioCredit
{
    private long _available;
    private TaskCompletionSource? _waiter;
    private volatile bool _failed;

    /// <param name="initial">Bytes granted at the start.</param>
    public StdioCredit(long initial) => _available = initial;

    /// <summary>Bytes that may be sent now.</summary>
    public long Available => Interlocked.Read(ref _available);

    /// <summary>Adds <paramref name="bytes"/> and wakes the taker.</summary>
    public void Grant(long bytes)
    {
        Interlocked.Add(ref _available, bytes);
        Release();
    }

    /// <summary>Ends the stream: a waiting or later <see cref="TakeAsync"/> returns 0.</summary>
    public void Fail()
    {
        _failed = true;
        Release();
    }

    /// <summary>Takes up to <paramref name="wanted"/> bytes, waiting until some are granted; 0 once failed.</summary>
    public async ValueTask<int> TakeAsync(int wanted, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(wanted);
        while (true)
        {
            if (_failed)
            {
                return 0;
            }

            var available = Interlocked.Read(ref _available);
            if (available > 0)
            {
                var take = (int)Math.Min(available, wanted);
                if (Interlocked.CompareExchange(ref _available, available - take, available) == available)
                {
                    return take;
                }

                continue;
            }

            // Publish the waiter (a full fence), then re-check: a grant either came before and is
            // seen now, or comes after and finds the waiter.
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref _waiter, waiter);
            if (Interlocked.Read(ref _available) > 0 || _failed)
            {
                continue;
            }

            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Release() => Interlocked.Exchange(ref _waiter, null)?.TrySetResult();
}
