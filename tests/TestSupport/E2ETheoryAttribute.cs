using Xunit;

namespace TestSupport;

/// <summary>
/// A theory that needs real parts, skipped with the reason when one is missing, except when
/// SEVSHIM_REQUIRE_E2E=1 (CI), exactly as <see cref="E2EFactAttribute"/> does for a fact. Rows
/// may add requirements of their own (the containerd matrix's builds).
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class E2ETheoryAttribute : TheoryAttribute
{
    public E2ETheoryAttribute(params string[] requirements)
    {
        Requirements = requirements;
        if (!Prerequisites.Required && Prerequisites.FirstMissing(requirements) is { } missing)
        {
            Skip = "skipped, end-to-end prerequisite missing: " + missing;
        }
    }

    /// <summary>The prerequisites named by the test.</summary>
    public IReadOnlyList<string> Requirements { get; }
}
