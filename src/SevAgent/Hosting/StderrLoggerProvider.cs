using Microsoft.Extensions.Logging;

namespace SevAgent.Hosting;

/// <summary>
/// The agent's only log sink: one line per message on stderr, which is the guest console the
/// shim keeps per pod. Deliberately tiny (no Console logger: its start-up cost shows under TCG).
/// </summary>
internal sealed class StderrLoggerProvider : ILoggerProvider
{
    private static readonly Lock WriteGate = new();
    private readonly LogLevel _minimum;

    public StderrLoggerProvider(LogLevel minimum)
    {
        _minimum = minimum;
    }

    public ILogger CreateLogger(string categoryName) => new StderrLogger(ShortName(categoryName), _minimum);

    public void Dispose()
    {
    }

    private static string ShortName(string category)
    {
        var dot = category.LastIndexOf('.');
        return dot >= 0 ? category[(dot + 1)..] : category;
    }

    private sealed class StderrLogger(string category, LogLevel minimum) : ILogger
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
            var line = $"sevagent {DateTime.UtcNow:HH:mm:ss.fff} {level} {category}: {formatter(state, exception)}";
            if (exception is not null)
            {
                line += Environment.NewLine + exception;
            }

            lock (WriteGate)
            {
                Console.Error.WriteLine(line);
            }
        }
    }
}
