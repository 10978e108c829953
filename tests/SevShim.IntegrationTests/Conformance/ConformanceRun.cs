using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Conformance;

/// <summary>
/// Runs a scenario on fresh container ids, checks it, adds the logs to any failure and removes
/// the containers afterwards whatever happened.
/// </summary>
public static class ConformanceRun
{
    /// <summary>One runtime: run <paramref name="scenario"/> and check it with <paramref name="expect"/>.</summary>
    public static async Task OneAsync<T>(
        CtrFixture fixture, ContainerdBuild build, string name, Func<CtrContainerd, string, Task<T>> scenario, Action<T> expect)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(expect);
        var c = await fixture.GetAsync(build);
        var id = c.NewId(name);
        try
        {
            await CtrDiagnostics.RunAsync(c, [id], async () => expect(await scenario(c, id)));
        }
        finally
        {
            await c.RemoveContainerAsync(id);
        }
    }

    /// <summary>
    /// Both runtimes: runc first (the reference), then sevshim; sevshim must meet the expectations
    /// and <paramref name="same"/> must hold between the two observations.
    /// </summary>
    public static async Task CompareAsync<T>(
        CtrFixture fixture, ContainerdBuild build, string name, Func<CtrContainerd, string, string, Task<T>> scenario, Action<T> expect, Action<T, T> same)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(expect);
        ArgumentNullException.ThrowIfNull(same);
        var c = await fixture.GetAsync(build);
        var runcId = c.NewId(name + "-r");
        var vmId = c.NewId(name + "-v");
        try
        {
            var reference = await scenario(c, CtrRuntime.Runc, runcId);
            await CtrDiagnostics.RunAsync(c, [vmId], async () =>
            {
                var observed = await scenario(c, CtrRuntime.Sevshim, vmId);
                expect(observed);
                same(reference, observed);
            });
        }
        finally
        {
            await c.RemoveContainerAsync(runcId);
            await c.RemoveContainerAsync(vmId);
        }
    }
}
