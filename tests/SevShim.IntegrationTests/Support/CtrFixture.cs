namespace SevShim.IntegrationTests.Support;

/// <summary>
/// Shares one <see cref="CtrContainerd"/> among the tests of the <see cref="CtrCollection"/>.
/// containerd starts on first use (after the test's Prerequisites.Ensure), so a run where every
/// test skips starts nothing. The fixture owns the instance and disposes it after the collection.
/// </summary>
public sealed class CtrFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private CtrContainerd? _instance;

    /// <summary>The running instance, started on the first call.</summary>
    public async Task<CtrContainerd> GetAsync()
    {
        await _gate.WaitAsync();
        try
        {
            return _instance ??= await CtrContainerd.StartAsync();
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
        if (_instance is not null)
        {
            await _instance.DisposeAsync();
        }

        _gate.Dispose();
    }
}
