using Tomlyn.Syntax;

namespace SevShim.Config;

/// <summary>
/// One key the configuration file may hold: its dotted name, what a valid value looks like (quoted
/// in errors), and how it changes the configuration. <see cref="Apply"/> answers null for a value
/// it refuses, and the parser then reports the key with <see cref="Expected"/>.
/// </summary>
internal sealed record ConfigKey(string Section, string Name, string Expected, Func<ShimConfig, ValueSyntax, ShimConfig?> Apply)
{
    /// <summary>section.name, as errors print it.</summary>
    public string FullName => Section + "." + Name;
}
