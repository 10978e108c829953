namespace SevBench;

/// <summary>One target of issue 6 with its measured figure; <see cref="Met"/> is null when unmeasured.</summary>
internal sealed record Target(string Name, string Measured, bool? Met);
