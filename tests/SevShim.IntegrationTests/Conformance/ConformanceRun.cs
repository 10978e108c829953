using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Conformance;

/// <summary>
/// Runs a scenario on fresh container ids, checks it, adds the logs to any failure and removes
/// the containers afterwards whatever happened.
/// </summary>
public static class ConformanceRun
{
    /// <summary>
    /// How many times the runc reference may run before its expectations count as wrong. Under
    /// load (a CPU hog beside the suite) the runc reference was seen to lose the last bytes of a
    /// stream that sevshim delivered whole in the same run: an exec's one stderr line on
    /// containerd 1.6, the line after `tty` with -t on 1.7, and 32 KiB of the bulk scenario's
    /// stdout when ctr lagged at the exit (sevshim holds the exit until ctr has read the FIFO:
    /// see StdinAndBulkAsync; runc's shim does not). Those are races in the
    /// reference (ctr and runc's shim), not in the runtime under test, so the reference runs again
    /// on a fresh id; sevshim always runs once, and is compared only with a reference that met the
    /// expectations.
    /// </summary>
    public const int ReferenceAttempts = 3;

    /// <summary>runc alone: run <paramref name="scenario"/> until it meets <paramref name="expect"/> (at most <see cref="ReferenceAttempts"/> times).</summary>
    public static async Task OneAsync<T>(
        CtrFixture fixture, ContainerdBuild build, string name, Func<CtrContainerd, string, Task<T>> scenario, Action<T> expect)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(expect);
        var c = await fixture.GetAsync(build);
        await ReferenceAsync(c, name, scenario, expect);
    }

    /// <summary>
    /// Both runtimes: runc first (the reference, see <see cref="ReferenceAttempts"/>), then
    /// sevshim once; sevshim must meet the expectations and <paramref name="same"/> must hold
    /// between the two observations.
    /// </summary>
    public static async Task CompareAsync<T>(
        CtrFixture fixture, ContainerdBuild build, string name, Func<CtrContainerd, string, string, Task<T>> scenario, Action<T> expect, Action<T, T> same)
    {
        ArgumentNullException.ThrowIfNull(fixture);
        ArgumentNullException.ThrowIfNull(scenario);
        ArgumentNullException.ThrowIfNull(expect);
        ArgumentNullException.ThrowIfNull(same);
        var c = await fixture.GetAsync(build);
        var reference = await ReferenceAsync(c, name + "-r", (cc, id) => scenario(cc, CtrRuntime.Runc, id), expect);
        var vmId = c.NewId(name + "-v");
        try
        {
            await CtrDiagnostics.RunAsync(c, [vmId], async () =>
            {
                var observed = await scenario(c, CtrRuntime.Sevshim, vmId);
                expect(observed);
                same(reference, observed);
            });
        }
        finally
        {
            await c.RemoveContainerAsync(vmId);
        }
    }

    private static async Task<T> ReferenceAsync<T>(CtrContainerd c, string name, Func<CtrContainerd, string, Task<T>> scenario, Action<T> expect)
    {
        var misses = new List<string>();
        for (var attempt = 1; ; attempt++)
        {
            var id = c.NewId(name);
            try
            {
                var observed = await scenario(c, id);
                try
                {
                    expect(observed);
                    return observed;
                }
                catch (Xunit.Sdk.XunitException e)
                {
                    misses.Add($"attempt {attempt}: {e.Message}");
                }

                if (attempt == ReferenceAttempts)
                {
                    await CtrDiagnostics.RunAsync(c, [id], () => throw new Xunit.Sdk.XunitException(
                        $"the runc reference missed the expectations {ReferenceAttempts} times in a row, so they, not a race, are wrong:\n" + string.Join('\n', misses)));
                }

                await Console.Error.WriteLineAsync($"conformance: the runc reference {id} missed its expectations, running it again: {misses[^1]}");
            }
            finally
            {
                await c.RemoveContainerAsync(id);
            }
        }
    }
}
