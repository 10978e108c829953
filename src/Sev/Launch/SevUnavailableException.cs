namespace Sev.Launch;

/// <summary>
/// The host cannot give the requested memory encryption. Carries the failing check items' text;
/// the pod must fail with it (ARCHITECTURE decision 8: never a silent unencrypted fallback).
/// </summary>
public sealed class SevUnavailableException : Exception
{
    public SevUnavailableException()
        : this(SevMode.Sev, ["the host cannot run SEV guests"])
    {
    }

    public SevUnavailableException(string message)
        : this(SevMode.Sev, [message])
    {
    }

    public SevUnavailableException(string message, Exception innerException)
        : base(message, innerException)
    {
        Reasons = [message];
    }

    public SevUnavailableException(SevMode mode, IReadOnlyList<string> reasons)
        : base($"{mode.DisplayName()} was requested but this host cannot provide it: {string.Join("; ", reasons ?? [])}")
    {
        Mode = mode;
        Reasons = reasons ?? [];
    }

    /// <summary>The mode that was asked for.</summary>
    public SevMode Mode { get; }

    /// <summary>One text per failing check item: "name: evidence (fix: ...)".</summary>
    public IReadOnlyList<string> Reasons { get; }
}
