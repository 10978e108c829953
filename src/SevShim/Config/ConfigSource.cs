namespace SevShim.Config;

/// <summary>
/// Which configuration file applies and why (<see cref="Origin"/> is quoted in errors and by the
/// <c>config</c> verb). <see cref="Explicit"/> is false only for the built-in default path, the
/// one file that may be absent.
/// </summary>
internal sealed record ConfigSource(string Path, string Origin, bool Explicit);
