namespace SevShim.Config;

/// <summary>
/// Picks and loads the configuration file (ARCHITECTURE decision 10), highest priority first, the
/// order Kata uses for its own file (SHIM-PROTOCOL 6): the runtime option ConfigPath
/// (runtimeoptions.v1.Options, from start's stdin or CreateTaskRequest.options), the environment
/// variable SEVSHIM_CONFIG, then /etc/sevshim/config.toml.
/// </summary>
internal static class ConfigLocator
{
    /// <summary>The built-in location.</summary>
    public const string DefaultPath = "/etc/sevshim/config.toml";

    /// <summary>The environment variable naming another file.</summary>
    public const string EnvironmentVariable = "SEVSHIM_CONFIG";

    /// <summary>Chooses the file; <paramref name="runtimeOptionPath"/> is ConfigPath or null/empty.</summary>
    public static ConfigSource Resolve(string? runtimeOptionPath, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(environment);
        if (!string.IsNullOrEmpty(runtimeOptionPath))
        {
            return Checked(new ConfigSource(runtimeOptionPath, "runtime option ConfigPath", true));
        }

        if (environment(EnvironmentVariable) is { Length: > 0 } fromEnv)
        {
            return Checked(new ConfigSource(fromEnv, "environment variable " + EnvironmentVariable, true));
        }

        return new ConfigSource(DefaultPath, "default location", false);
    }

    /// <summary>
    /// Loads <paramref name="source"/>. The default file may be missing (built-in defaults then);
    /// a file named explicitly must exist, since a typo there would otherwise go unnoticed.
    /// </summary>
    public static ShimConfig Load(ConfigSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        string text;
        try
        {
            text = File.ReadAllText(source.Path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            if (!source.Explicit)
            {
                return ShimConfig.Defaults;
            }

            throw new ConfigException($"configuration file {source.Path} (from the {source.Origin}) does not exist; create it (see config/config.toml) or fix the path");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"configuration file {source.Path} (from the {source.Origin}) cannot be read: {e.Message}", e);
        }

        return ConfigParser.Parse(text, source.Path);
    }

    private static ConfigSource Checked(ConfigSource source) =>
        Path.IsPathFullyQualified(source.Path)
            ? source
            : throw new ConfigException($"configuration path '{source.Path}' (from the {source.Origin}) is relative; give an absolute path");
}
