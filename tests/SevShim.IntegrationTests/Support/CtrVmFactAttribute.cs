using TestSupport;

namespace SevShim.IntegrationTests.Support;

/// <summary>
/// TEMPORARY gate for the sevshim half of the ctr end-to-end tests until the VM sandbox is on
/// main: skipped unless SEVSHIM_E2E_VM=1, then exactly an <see cref="E2EFactAttribute"/> (skips
/// on a missing prerequisite, fails under SEVSHIM_REQUIRE_E2E=1). Replace with E2EFact once the
/// sandbox lands.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class CtrVmFactAttribute : FactAttribute
{
    public CtrVmFactAttribute(params string[] requirements)
    {
        Requirements = requirements;
        if (Environment.GetEnvironmentVariable("SEVSHIM_E2E_VM") != "1")
        {
            Skip = "sevshim VM end-to-end tests wait for the VM sandbox: set SEVSHIM_E2E_VM=1 to run them";
        }
        else if (!Prerequisites.Required && Prerequisites.FirstMissing(requirements) is { } missing)
        {
            Skip = "skipped, end-to-end prerequisite missing: " + missing;
        }
    }

    /// <summary>The prerequisites named by the test.</summary>
    public IReadOnlyList<string> Requirements { get; }
}
