using System.Reflection;
using TestSupport;
using Xunit.Sdk;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// One row of a CRI theory: the handler name, then any further arguments of the row. The row alone is skipped, with the reason, when a
/// prerequisite of that handler is missing (no guest image: the runc row still runs), except when
/// SEVSHIM_REQUIRE_E2E=1, where the test's <see cref="CriHandler.Ensure"/> fails it instead.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class CriHandlerAttribute : DataAttribute
{
    public CriHandlerAttribute(string handler, params string[] arguments)
    {
        Handler = handler;
        Arguments = arguments;
        if (!Prerequisites.Required && Prerequisites.FirstMissing(CriHandler.RequirementsOf(handler)) is { } missing)
        {
            Skip = $"skipped for {handler}, end-to-end prerequisite missing: {missing}";
        }
    }

    /// <summary>The handler of this row.</summary>
    public string Handler { get; }

    /// <summary>The row's further arguments.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <inheritdoc/>
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[Handler, .. Arguments]];
}
