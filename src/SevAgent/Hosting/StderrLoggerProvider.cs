using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace SevAgent.Hosting;

/// <summary>
/// The agent's only log sink: one line per message on stderr, which is the guest console the
/// shim keeps per pod. Deliberately tiny (no Console logger and no System.Console: their start-up cost shows under TCG).
/// Callers never write to the console themselves: a line is queued and one writer thread
/// owns fd 2, because the console is a 115200-baud serial port whose tty blocks the writer
/// while its buffer drains, and a gRPC handler must never wait on the console to answer. When
/// the queue is full (the console far behind) lines are dropped and the next written line
/// says how many.
/// </summary>
internal sealed class StderrLoggerProvider : ILoggerProvider
{
    private const int QueueLimit = 2048;

    private readonly LogLevel _minimum;
    private readonly BlockingCollection<string> _lines = new(new ConcurrentQueue<string>(), QueueLimit);
    private readonly Thread _writer;
    private long _dropped;

    public StderrLoggerProvider(LogLevel minimum)
    {
        _minimum = minimum;
        _writer = new Thread(WriteLines, 128 * 1024) { IsBackground = true, Name = "log-writer" };
        _writer.Start();
    }

    public ILogger CreateLogger(string categoryName) => new StderrLogger(this, ShortName(categoryName), _minimum);

    /// <summary>Writes what is queued (up to 2 s: the process is ending) and stops the writer.</summary>
    public void Dispose()
    {
        _lines.CompleteAdding();
        _writer.Join(TimeSpan.FromSeconds(2));
    }

    private void Enqueue(string line)
    {
        try
        {
            if (!_lines.TryAdd(line))
            {
                Interlocked.Increment(ref _dropped);
            }
        }
        catch (InvalidOperationException)
        {
            // After Dispose (the host logs while it stops): write directly, nothing else is writing.
            StderrWriter.WriteLine(line);
        }
    }

    private void WriteLines()
    {
        // The writer thread owns the console: nobody else writes to fd 2 after start-up (but the
        // memory report at power-off, ShutdownCoordinator.ReportMemory).
        foreach (var line in _lines.GetConsumingEnumerable())
        {
            var dropped = Interlocked.Exchange(ref _dropped, 0);
            if (dropped > 0)
            {
                StderrWriter.WriteLine($"sevagent: {dropped} log lines dropped (the console is slower than the log)");
            }

            StderrWriter.WriteLine(line);
        }
    }

    private static string ShortName(string category)
    {
        var dot = category.LastIndexOf('.');
        return dot >= 0 ? category[(dot + 1)..] : category;
    }

    private sealed class StderrLogger(StderrLoggerProvider owner, string category, LogLevel minimum) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= minimum && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var level = logLevel switch
            {
                LogLevel.Trace => "trce",
                LogLevel.Debug => "dbug",
                LogLevel.Information => "info",
                LogLevel.Warning => "warn",
                LogLevel.Error => "fail",
                _ => "crit",
            };
            var line = $"sevagent {StderrWriter.Timestamp(DateTime.UtcNow)} {level} {category}: {formatter(state, exception)}";
            if (exception is not null)
            {
                line += Environment.NewLine + exception;
            }

            owner.Enqueue(line);
        }
    }
}
