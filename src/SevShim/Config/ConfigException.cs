namespace SevShim.Config;

/// <summary>
/// The configuration cannot be used. The message names the file, the key and the allowed values,
/// one problem per line, so an operator can fix every problem in one pass.
/// </summary>
internal sealed class ConfigException : Exception
{
    public ConfigException()
    {
    }

    public ConfigException(string message)
        : base(message)
    {
    }

    public ConfigException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
