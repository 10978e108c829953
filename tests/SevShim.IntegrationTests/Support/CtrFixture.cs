using TestSupport;

namespace SevShim.IntegrationTests.Support;

/// <summary>
/// Shares one <see cref="CtrContainerd"/> per <see cref="ContainerdBuild"/> among the tests of the
/// <see cref="CtrCollection"/>. Each starts on first use (after the test's Prerequisites.Ensure),
/// so a run where every test skips starts nothing, and a build no test asks for never starts. The
/// fixture owns the instances and disposes them after the collection.
/// </summary>
public sealed class CtrFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, CtrContainerd> _instances = new(StringComparer.Ordinal);

    /// <summary>The running instance of the host's containerd 1.6, started on the first call.</summary>
    public Task<CtrContainerd> GetAsync() => GetAsync(ContainerdBuild.Of(ContainerdBuild.Host));

    /// <summary>The running instance of <paramref name="build"/>, started on the first call.</summary>
    public async Task<CtrContainerd> GetAsync(ContainerdBuild build)
    {
        ArgumentNullException.ThrowIfNull(build);
        await _gate.WaitAsync();
        try
        {
            if (!_instances.TryGetValue(build.Label, out var instance))
            {
                instance = await CtrContainerd.StartAsync(build);
                _instances[build.Label] = instance;
            }

            return instance;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        foreach (var instance in _instances.Values)
        {
            await instance.DisposeAsync();
        }

        _gate.Dispose();
    }
}
