using SevShim.Events;

namespace SevShim.Tests.Tasks;

/// <summary>Records published task events in order.</summary>
internal sealed class FakeEventSink : ITaskEventSink
{
    private readonly Lock _sync = new();
    private readonly List<TaskEvent> _events = [];

    public IReadOnlyList<TaskEvent> Events
    {
        get
        {
            lock (_sync)
            {
                return _events.ToList();
            }
        }
    }

    /// <summary>"kind container[/exec]" per event, e.g. "Exit c1/e1".</summary>
    public IReadOnlyList<string> Summary =>
        Events.Select(e => e.ExecId.Length == 0 ? $"{e.Kind} {e.ContainerId}" : $"{e.Kind} {e.ContainerId}/{e.ExecId}").ToList();

    public void Publish(TaskEvent taskEvent)
    {
        lock (_sync)
        {
            _events.Add(taskEvent);
        }
    }
}
