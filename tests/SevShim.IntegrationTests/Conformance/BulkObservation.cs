namespace SevShim.IntegrationTests.Conformance;

/// <summary>
/// What `ctr run -i` of "cat, then 64 MiB of random data" showed: the stdin echo, the output
/// length, and whether stdout after the echo hashes to what the container's sha256sum printed.
/// </summary>
public sealed record BulkObservation(int ExitCode, string Echo, long StdoutLength, bool HashMatches)
{
    /// <summary>The container's sha256sum line and the host's hash, for messages.</summary>
    public string Detail { get; init; } = string.Empty;

    /// <summary>The comparable part (without the random data's hashes).</summary>
    public BulkObservation ToComparable() => this with { Detail = string.Empty };
}
