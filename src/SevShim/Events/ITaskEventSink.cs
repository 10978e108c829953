namespace SevShim.Events;

/// <summary>
/// Where the task service puts its events. <see cref="Publish"/> never blocks and never throws:
/// the task service calls it while holding its state lock, so that the queue order is the order
/// of the state changes (SHIM-PROTOCOL.md 3.2: create, start, exit, delete).
/// </summary>
internal interface ITaskEventSink
{
    /// <summary>Queues <paramref name="taskEvent"/> for delivery to containerd.</summary>
    void Publish(TaskEvent taskEvent);
}
