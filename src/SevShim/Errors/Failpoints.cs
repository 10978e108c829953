using System.Diagnostics;
using System.Globalization;
using Serilog;

namespace SevShim.Errors;

/// <summary>
/// Fault injection at named points of the task calls, for the soak and fault tests only (as
/// containerd's own tests inject failpoints). Inert unless the daemon's environment has
/// SEVSHIM_FAILPOINTS, the path of a file the test writes: one `name action` per line, where
/// action is `exit` (the shim SIGKILLs itself there, a crash at that exact point), `error` (the
/// call fails Internal) or `delay MS`. The file is read at every hit, so a test can arm and disarm
/// points between calls without restarting anything; a missing file arms nothing. Production
/// never sets the variable, and then <see cref="HitAsync"/> is a completed task and reads nothing.
/// </summary>
internal sealed class Failpoints
{
    /// <summary>The environment variable naming the failpoint file.</summary>
    public const string EnvironmentVariable = "SEVSHIM_FAILPOINTS";

    private readonly string? _file;
    private readonly ILogger _logger;

    private Failpoints(string? file, ILogger logger)
    {
        _file = file;
        _logger = logger;
    }

    /// <summary>Failpoints that never fire (production, unit tests).</summary>
    public static Failpoints Inert { get; } = new(null, Serilog.Core.Logger.None);

    /// <summary>True when a failpoint file is configured.</summary>
    public bool Enabled => _file is not null;

    /// <summary>From the daemon's environment: inert unless <see cref="EnvironmentVariable"/> is set.</summary>
    public static Failpoints FromEnvironment(string? value, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (string.IsNullOrEmpty(value))
        {
            return Inert;
        }

        logger.Warning("Failpoints are armed from {File} ({Variable}): for tests only, never in production", value, EnvironmentVariable);
        return new Failpoints(value, logger);
    }

    /// <summary>Fires the action armed for <paramref name="name"/>, if any.</summary>
    public Task HitAsync(string name, CancellationToken cancellationToken)
    {
        if (_file is null)
        {
            return Task.CompletedTask;
        }

        var action = Lookup(name);
        if (action is null)
        {
            return Task.CompletedTask;
        }

        _logger.Warning("Failpoint {Name} fires: {Action}", name, string.Join(' ', action));
        switch (action[0])
        {
            case "exit":
                // SIGKILL, not an orderly exit: nothing of the shim's own clean-up may run.
                Process.GetCurrentProcess().Kill();
                return Task.Delay(Timeout.Infinite, cancellationToken);
            case "error":
                throw new ShimException(ShimErrorKind.Internal, $"sevshim: failpoint {name} injected an error");
            case "delay" when action.Length == 2 && int.TryParse(action[1], NumberStyles.None, CultureInfo.InvariantCulture, out var ms):
                return Task.Delay(ms, cancellationToken);
            default:
                _logger.Warning("Failpoint {Name} has an unknown action '{Action}' in {File}: use exit, error or delay MS", name, string.Join(' ', action), _file);
                return Task.CompletedTask;
        }
    }

    private string[]? Lookup(string name)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(_file!);
        }
        catch (IOException)
        {
            return null;
        }

        foreach (var line in lines)
        {
            var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (words.Length >= 2 && string.Equals(words[0], name, StringComparison.Ordinal))
            {
                return words[1..];
            }
        }

        return null;
    }
}
