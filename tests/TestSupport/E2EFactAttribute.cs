using Xunit;

namespace TestSupport;

/// <summary>
/// A fact that needs real parts (containerd, QEMU, crun, built artefacts). When one is missing
/// the test is skipped with the reason, except when SEVSHIM_REQUIRE_E2E=1 (CI): then it runs,
/// and the test's own <see cref="Prerequisites.Ensure"/> call fails it with the same reason.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class E2EFactAttribute : FactAttribute
{
    public E2EFactAttribute(params string[] requirements)
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
