using System.Reflection;
using TestSupport;
using Xunit.Sdk;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// One row of a CRI matrix theory: a containerd build's row text ("2.1: 2.1.9+ds1-5", so the
/// version is in the test's name) and a handler. Skipped, saying why, when the build or a
/// prerequisite of the handler is missing, except when SEVSHIM_REQUIRE_E2E=1, where
/// <see cref="Ensure"/> fails the test instead.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class CriMatrixRowAttribute : DataAttribute
{
    public CriMatrixRowAttribute(string label, string handler)
    {
        Build = ContainerdBuild.Of(label);
        Handler = handler;
        if (!Prerequisites.Required && (Build.Missing() ?? Prerequisites.FirstMissing(CriHandler.RequirementsOf(handler))) is { } missing)
        {
            Skip = $"skipped on containerd {label} for {handler}: {missing}";
        }
    }

    /// <summary>The build of this row.</summary>
    public ContainerdBuild Build { get; }

    /// <summary>The handler of this row.</summary>
    public string Handler { get; }

    /// <inheritdoc/>
    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[Build.Row, Handler]];

    /// <summary>The build of a row once the build and the handler's prerequisites are there; first call in a matrix test.</summary>
    public static ContainerdBuild Ensure(string containerd, string handler)
    {
        CriHandler.Ensure(handler);
        var build = ContainerdBuild.FromRow(containerd);
        if (build.Missing() is { } missing)
        {
            throw new InvalidOperationException("end-to-end prerequisite missing: " + missing);
        }

        return build;
    }
}
