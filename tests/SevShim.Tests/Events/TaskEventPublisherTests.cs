using SevShim.Errors;
using SevShim.Events;

namespace SevShim.Tests.Events;

public sealed class TaskEventPublisherTests
{
    private static readonly EventPublisherOptions Fast = new()
    {
        InitialRetryDelay = TimeSpan.FromMilliseconds(1),
        MaxRetryDelay = TimeSpan.FromMilliseconds(4),
        MaxRetryDuration = TimeSpan.FromMinutes(5),
    };

    [Fact]
    public async Task Events_are_forwarded_in_publish_order()
    {
        var forwarder = new FakeEventForwarder();
        await using (var publisher = new TaskEventPublisher("default", forwarder, Serilog.Core.Logger.None, Fast))
        {
            publisher.Publish(TaskEvent.Created("c1", "/b", [], Sandbox.StdioPaths.None, 1));
            publisher.Publish(TaskEvent.Started("c1", 1));
            publisher.Publish(TaskEvent.Exited("c1", "", 1, 0, DateTimeOffset.UtcNow));
            publisher.Publish(TaskEvent.Deleted("c1", 1, 0, DateTimeOffset.UtcNow));
            var delivered = await forwarder.TakeAsync(4);
            Assert.Equal(["/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete"], delivered.Select(e => e.Topic));
            Assert.All(delivered, e => Assert.Equal("default", e.Namespace));
        }

        Assert.True(forwarder.Disposed, "the publisher owns its forwarder");
    }

    [Fact]
    public async Task Transient_failures_are_retried_without_reordering()
    {
        // Attempts 1-3 fail as if containerd were restarting; nothing may overtake the first event.
        var forwarder = new FakeEventForwarder { Failure = (n, _) => n <= 3 ? new IOException("EPIPE") : null };
        await using var publisher = new TaskEventPublisher("default", forwarder, Serilog.Core.Logger.None, Fast);
        publisher.Publish(TaskEvent.Started("c1", 1));
        publisher.Publish(TaskEvent.Exited("c1", "", 1, 0, DateTimeOffset.UtcNow));
        var delivered = await forwarder.TakeAsync(2);
        Assert.Equal(["/tasks/start", "/tasks/exit"], delivered.Select(e => e.Topic));
        Assert.Equal(5, forwarder.Attempts);
    }

    [Fact]
    public async Task Rejected_events_are_dropped_and_the_next_ones_still_go()
    {
        var forwarder = new FakeEventForwarder
        {
            Failure = (_, e) => e.Topic == "/tasks/oom" ? new ShimException(ShimErrorKind.InvalidArgument, "bad namespace") : null,
        };
        await using var publisher = new TaskEventPublisher("default", forwarder, Serilog.Core.Logger.None, Fast);
        publisher.Publish(TaskEvent.Oom("c1"));
        publisher.Publish(TaskEvent.Paused("c1"));
        var delivered = await forwarder.TakeAsync(1);
        Assert.Equal("/tasks/paused", delivered.Single().Topic);
        Assert.Equal(2, forwarder.Attempts);
    }

    [Fact]
    public async Task An_event_that_keeps_failing_is_dropped_after_the_retry_budget()
    {
        var forwarder = new FakeEventForwarder { Failure = (_, e) => e.Topic == "/tasks/oom" ? new IOException("down") : null };
        var options = Fast with { MaxRetryDuration = TimeSpan.Zero };
        await using var publisher = new TaskEventPublisher("default", forwarder, Serilog.Core.Logger.None, options);
        publisher.Publish(TaskEvent.Oom("c1"));
        publisher.Publish(TaskEvent.Resumed("c1"));
        Assert.Equal("/tasks/resumed", (await forwarder.TakeAsync(1)).Single().Topic);
    }

    [Fact]
    public async Task A_full_queue_drops_new_events_instead_of_blocking()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var forwarder = new FakeEventForwarder { Gate = gate.Task };
        await using var publisher = new TaskEventPublisher("default", forwarder, Serilog.Core.Logger.None, Fast with { QueueCapacity = 1 });
        for (var i = 0; i < 50; i++)
        {
            publisher.Publish(TaskEvent.Paused($"c{i}"));
        }

        gate.SetResult();
        var first = await forwarder.TakeAsync(1);
        Assert.Equal("/tasks/paused", first.Single().Topic);
        publisher.Publish(TaskEvent.Resumed("after"));
        var rest = await forwarder.TakeAsync(1);
        Assert.True(forwarder.Attempts < 50, $"events beyond the capacity are dropped ({forwarder.Attempts} attempts)");
        Assert.NotEmpty(rest);
    }
}
