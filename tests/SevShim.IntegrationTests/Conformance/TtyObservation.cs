namespace SevShim.IntegrationTests.Conformance;

/// <summary>What `ctr run -t` under a pty showed: exit code and the non-empty output lines (\r and ^@ removed).</summary>
public sealed record TtyObservation(int ExitCode, IReadOnlyList<string> Lines)
{
    /// <summary>Value equality over the lines too (records compare lists by reference).</summary>
    public bool SameAs(TtyObservation other) =>
        other is not null && ExitCode == other.ExitCode && Lines.SequenceEqual(other.Lines);

    /// <inheritdoc/>
    public override string ToString() => $"exit {ExitCode}: [{string.Join(" | ", Lines)}]";
}
