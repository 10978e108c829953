using System.Globalization;

namespace Fuzz.Tests.Harness;

/// <summary>
/// How long the targets run. FUZZ_ITERATIONS sets the inputs per target (CI's default is a short
/// run, each target a few seconds); FUZZ_REPORT names a file that gets one line per target run
/// (scripts/fuzz.sh prints it); FUZZ_SEED replays one CsCheck seed. Under CI=true the inputs are
/// fixed (the same every run: CI fails for a change, never for the day's dice), unless
/// FUZZ_RANDOM=1 or FUZZ_SEED is set; elsewhere each run draws new ones.
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

    /// <summary>Whether this run uses the fixed inputs (see the class comment).</summary>
    public static bool FixedInputs =>
        Environment.GetEnvironmentVariable("CI") == "true"
        && Environment.GetEnvironmentVariable("FUZZ_RANDOM") != "1"
        && Seed is null;

    /// <summary>The report file, or null.</summary>
    public static string? ReportPath => Environment.GetEnvironmentVariable("FUZZ_REPORT") is { Length: > 0 } p ? p : null;
}
