using System.Collections;

namespace SevShim.Hosting;

/// <summary>
/// The process facts commands depend on, gathered once so that tests can substitute them:
/// environment variables, working directory (containerd runs the shim in the bundle) and the
/// shim's own executable (re-executed as the daemon).
/// </summary>
internal sealed record ShimEnvironment(IReadOnlyDictionary<string, string> Variables, string WorkingDirectory, string ExecutablePath)
{
    /// <summary>The real process environment.</summary>
    public static ShimEnvironment Current()
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            variables[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        return new ShimEnvironment(
            variables,
            Directory.GetCurrentDirectory(),
            Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the shim's own executable path"));
    }

    /// <summary>A variable's value, or null.</summary>
    public string? Get(string name) => Variables.TryGetValue(name, out var value) ? value : null;
}
