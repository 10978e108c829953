using System.Threading.Channels;
using SevShim.Errors;
using SevShim.Protos.Containerd.EventsTtrpc;
using Serilog;

namespace SevShim.Events;

/// <summary>
/// The shim's one event queue: a bounded channel filled by the task service (in state-change
/// order) and drained by one pump task that forwards each event to containerd in that order.
/// A failed Forward is retried with exponential backoff, holding back the events behind it, so
/// order survives a containerd restart; an event is dropped (and logged) only when containerd
/// rejects it as invalid, after <see cref="EventPublisherOptions.MaxRetryDuration"/> of failures,
/// or when the queue is full.
/// Ownership: the publisher owns the forwarder it is given and disposes it.
/// </summary>
internal sealed class TaskEventPublisher : ITaskEventSink, IAsyncDisposable
{
    private readonly string _namespace;
    private readonly IEventForwarder _forwarder;
    private readonly ILogger _logger;
    private readonly EventPublisherOptions _options;
    private readonly Channel<Envelope> _queue;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _pump;
    private int _disposed;

    /// <summary>
    /// Starts the pump. <paramref name="namespace"/> is the shim's -namespace flag (containerd
    /// validates it); <paramref name="forwarder"/> is usually a <see cref="TtrpcEventForwarder"/>
    /// on TTRPC_ADDRESS.
    /// </summary>
    public TaskEventPublisher(string @namespace, IEventForwarder forwarder, ILogger logger, EventPublisherOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(@namespace);
        ArgumentNullException.ThrowIfNull(forwarder);
        ArgumentNullException.ThrowIfNull(logger);
        _namespace = @namespace;
        _forwarder = forwarder;
        _logger = logger.ForContext<TaskEventPublisher>();
        _options = options ?? new EventPublisherOptions();
        _queue = Channel.CreateBounded<Envelope>(new BoundedChannelOptions(_options.QueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full; Publish never blocks.
        });
        _pump = Task.Run(() => PumpAsync(_stop.Token));
    }

    /// <inheritdoc/>
    public void Publish(TaskEvent taskEvent)
    {
        ArgumentNullException.ThrowIfNull(taskEvent);
        Envelope envelope;
        try
        {
            envelope = TaskEventEncoder.ToEnvelope(taskEvent, _namespace, _options.Time.GetUtcNow());
        }
        catch (ArgumentException ex)
        {
            _logger.Error(ex, "Dropping task event {Kind} of {ContainerId}: it cannot be encoded", taskEvent.Kind, taskEvent.ContainerId);
            return;
        }

        if (!_queue.Writer.TryWrite(envelope))
        {
            _logger.Error(
                "Dropping task event {Topic} of {ContainerId}: the event queue is full ({Capacity} events waiting; containerd has not accepted events for a long time) or closed",
                envelope.Topic,
                taskEvent.ContainerId,
                _options.QueueCapacity);
        }
    }

    /// <summary>
    /// Stops taking events, gives the queued ones <see cref="EventPublisherOptions.DrainTimeout"/>
    /// to go out, then stops the pump and disposes the forwarder.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        try
        {
            await _pump.WaitAsync(_options.DrainTimeout, _options.Time).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _logger.Warning("Stopping the event publisher with {Count} events not delivered", _queue.Reader.Count);
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _pump.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // The pump was cut off while retrying; the undelivered events were logged above.
        }

        _stop.Dispose();
        await _forwarder.DisposeAsync().ConfigureAwait(false);
    }

    private async Task PumpAsync(CancellationToken cancellationToken)
    {
        await foreach (var envelope in _queue.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            await DeliverAsync(envelope, cancellationToken).ConfigureAwait(false);
        }
    }

    // Delivers one envelope, retrying until it is accepted, rejected as invalid, or has failed
    // for MaxRetryDuration. The events behind it wait: this keeps containerd's required order.
    private async Task DeliverAsync(Envelope envelope, CancellationToken cancellationToken)
    {
        var time = _options.Time;
        var firstFailure = (DateTimeOffset?)null;
        var delay = _options.InitialRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _forwarder.ForwardAsync(envelope, cancellationToken).ConfigureAwait(false);
                if (firstFailure is not null)
                {
                    _logger.Information("Forwarded event {Topic} after {Attempts} attempts", envelope.Topic, attempt);
                }

                return;
            }
            catch (ShimException ex) when (ex.Kind == ShimErrorKind.InvalidArgument)
            {
                _logger.Error(ex, "containerd rejected event {Topic} (namespace {Namespace}); dropping it", envelope.Topic, envelope.Namespace);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                var now = time.GetUtcNow();
                firstFailure ??= now;
                if (now - firstFailure.Value >= _options.MaxRetryDuration)
                {
                    _logger.Error(
                        ex,
                        "Dropping event {Topic} after {Attempts} failed attempts over {Elapsed}: containerd's event service at TTRPC_ADDRESS did not accept it",
                        envelope.Topic,
                        attempt,
                        now - firstFailure.Value);
                    return;
                }

                if (attempt == 1)
                {
                    _logger.Warning(ex, "Forwarding event {Topic} failed; retrying with backoff (containerd may be restarting)", envelope.Topic);
                }
                else
                {
                    _logger.Debug(ex, "Forwarding event {Topic} failed again (attempt {Attempt})", envelope.Topic, attempt);
                }

                await Task.Delay(delay, time, cancellationToken).ConfigureAwait(false);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxRetryDelay.Ticks));
            }
        }
    }
}
