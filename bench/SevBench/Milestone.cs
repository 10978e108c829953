namespace SevBench;

/// <summary>
/// A point in a sevshim cold start, found in the shim's log, the guest console or the bench's own
/// clock; <see cref="Phase"/> names the stretch that ends at it.
/// </summary>
internal sealed record Milestone(string Phase, Func<ColdStartRun, double> Find);
