using TestSupport;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// A CRI scenario run once per <see cref="CriHandlerAttribute"/> row. Skipped when a prerequisite
/// every handler needs is missing (containerd, ctr, CNI plugins, iproute2, root), unless
/// SEVSHIM_REQUIRE_E2E=1, as <see cref="E2EFactAttribute"/> does.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class CriTheoryAttribute : TheoryAttribute
{
    public CriTheoryAttribute()
    {
        if (!Prerequisites.Required && Prerequisites.FirstMissing(CriHandler.Common) is { } missing)
        {
            Skip = "skipped, end-to-end prerequisite missing: " + missing;
        }
    }
}
