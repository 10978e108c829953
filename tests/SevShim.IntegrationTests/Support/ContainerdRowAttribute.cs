using System.Reflection;
using TestSupport;
using Xunit.Sdk;

namespace SevShim.IntegrationTests.Support;

/// <summary>
/// One row of a containerd-matrix theory: the build's row text, "2.1: 2.1.9+ds1-5", so the
/// version tested is in the test's name in every report. The row alone is skipped, saying why,
/// when the build is not there (scripts/containerd-matrix.sh not run), except when
/// SEVSHIM_REQUIRE_E2E=1, where the test's <see cref="Ensure"/> fails it instead.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class ContainerdRowAttribute : DataAttribute
{
    public ContainerdRowAttribute(string label)
    {
        Build = ContainerdBuild.Of(label);
        if (!Prerequisites.Required && Build.Missing() is { } missing)
        {
            Skip = $"skipped on containerd {label}: {missing}";
        }
    }

    /// <summary>The build of this row.</summary>
    public ContainerdBuild Build { get; }

    /// <inheritdoc/>
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[Build.Row]];

    /// <summary>The build of a row, after checking it is there (first call in a matrix test, with the test's other prerequisites).</summary>
    public static ContainerdBuild Ensure(string row, params string[] requirements)
    {
        Prerequisites.Ensure(requirements);
        var build = ContainerdBuild.FromRow(row);
        if (build.Missing() is { } missing)
        {
            throw new InvalidOperationException("end-to-end prerequisite missing: " + missing);
        }

        return build;
    }
}
