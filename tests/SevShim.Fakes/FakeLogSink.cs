using System.Collections.Concurrent;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace SevShim.Fakes;

/// <summary>Collects every log event, so tests can assert on levels and structured properties.</summary>
internal sealed class FakeLogSink : ILogEventSink
{
    private readonly ConcurrentQueue<LogEvent> _events = new();

    /// <summary>The events so far, in order.</summary>
    public IReadOnlyList<LogEvent> Events => [.. _events];

    /// <summary>A logger writing into this sink at every level.</summary>
    public ILogger CreateLogger() => new LoggerConfiguration().MinimumLevel.Verbose().WriteTo.Sink(this).CreateLogger();

    public void Emit(LogEvent logEvent) => _events.Enqueue(logEvent);

    /// <summary>The scalar value of <paramref name="name"/> in <paramref name="e"/>, or null.</summary>
    public static object? Property(LogEvent e, string name) =>
        e.Properties.TryGetValue(name, out var v) && v is ScalarValue s ? s.Value : null;
}
