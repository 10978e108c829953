using Serilog.Core;
using Serilog.Events;
using Xunit.Abstractions;

namespace SevShim.IntegrationTests.Vm;

/// <summary>Sends the sandbox's log to the test output, so a failed run shows the console tail and QEMU's words.</summary>
internal sealed class TestOutputSink(ITestOutputHelper output) : ILogEventSink
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _messages = new();

    /// <summary>Every rendered message so far.</summary>
    public IReadOnlyList<string> Messages => [.. _messages];

    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        _messages.Enqueue(logEvent.RenderMessage(null));
        try
        {
            output.WriteLine($"{logEvent.Timestamp:HH:mm:ss.fff} {logEvent.Level} {logEvent.RenderMessage(null)}");
        }
        catch (InvalidOperationException)
        {
            // The test already finished: its output is closed.
        }
    }
}
