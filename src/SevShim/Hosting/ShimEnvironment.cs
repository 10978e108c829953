using System.Collections;

namespace SevShim.Hosting;

/// <summary>
/// The process facts commands depend on, gathered once so that tests can substitute them:
/// environment variables, working directory (containerd runs the shim in the bundle) and the
/// shim's own executable (re-executed as the daemon). WorkingDirectory is empty when the
/// process's cwd no longer exists.
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

        string cwd;
        try
        {
            cwd = Directory.GetCurrentDirectory();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The bundle was removed under us (delete after containerd cleaned up): no working directory.
            cwd = string.Empty;
        }

        return new ShimEnvironment(
            variables,
            cwd,
            Environment.ProcessPath ?? throw new InvalidOperationException("cannot find the shim's own executable path"));
    }

    /// <summary>A variable's value, or null.</summary>
    public string? Get(string name) => Variables.TryGetValue(name, out var value) ? value : null;
}
