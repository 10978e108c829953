using System.Globalization;

namespace Fuzz.Tests.Harness;

/// <summary>
/// How long the targets run. FUZZ_ITERATIONS sets the inputs per target (CI's default is a short
/// run, each target a few seconds); FUZZ_REPORT names a file that gets one line per target run
/// (scripts/fuzz.sh prints it); FUZZ_SEED replays one CsCheck seed.
/// </summary>
internal static class FuzzSettings
{
    /// <summary>Inputs per target for the short run.</summary>
    public const long DefaultIterations = 20_000;

    /// <summary>The inputs a target runs: FUZZ_ITERATIONS, or its own short-run default.</summary>
    public static long Iterations(long shortRun = DefaultIterations) =>
        Environment.GetEnvironmentVariable("FUZZ_ITERATIONS") is { Length: > 0 } text
            && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : shortRun;

    /// <summary>The CsCheck seed to replay a failure with, or null.</summary>
    public static string? Seed => Environment.GetEnvironmentVariable("FUZZ_SEED") is { Length: > 0 } s ? s : null;

    /// <summary>The report file, or null.</summary>
    public static string? ReportPath => Environment.GetEnvironmentVariable("FUZZ_REPORT") is { Length: > 0 } p ? p : null;
}
