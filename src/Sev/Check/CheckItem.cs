namespace Sev.Check;

/// <summary>One line of the host check.</summary>
/// <param name="Name">Stable identifier, e.g. "kvm_amd.sev" (scripts may match on it).</param>
/// <param name="Status">ok, missing or unknown.</param>
/// <param name="Evidence">What was read, verbatim where short (values, errors).</param>
/// <param name="Fix">How to fix it on the detected distribution; null when ok.</param>
/// <param name="Gates">The modes that cannot run unless this item is ok (empty: advisory).</param>
public sealed record CheckItem(string Name, CheckStatus Status, string Evidence, string? Fix, IReadOnlyList<SevMode> Gates)
{
    /// <summary>True when this item stops <paramref name="mode"/>.</summary>
    public bool Blocks(SevMode mode) => Status != CheckStatus.Ok && Gates.Contains(mode);
}
