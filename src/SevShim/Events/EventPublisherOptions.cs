namespace SevShim.Events;

/// <summary>
/// Tuning of <see cref="TaskEventPublisher"/>. Defaults follow the Go shim's publisher where it
/// has one (queue of 2048, SHIM-PROTOCOL.md 3.3) but retry far longer than its 5 tries: a
/// containerd restart can take minutes and a lost /tasks/exit is worse than a late one.
/// </summary>
internal sealed record EventPublisherOptions
{
    /// <summary>Events waiting for delivery; a Publish beyond this is dropped and logged.</summary>
    public int QueueCapacity { get; init; } = 2048;

    /// <summary>Delay before the first retry of a failed Forward; doubles up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan InitialRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between two retries.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one event is retried before it is dropped (logged as an error).</summary>
    public TimeSpan MaxRetryDuration { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>How long <see cref="TaskEventPublisher.DisposeAsync"/> waits for queued events to go out.</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Clock for timestamps and retry delays (tests may substitute it).</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
