namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// Shares one <see cref="CriContainerd"/> and one <see cref="CriSharedPod"/> per handler among the
/// CRI tests. Each starts on first use (after the test's prerequisite check), so a run where every
/// CRI test skips starts nothing. A failed start is kept and rethrown to every test that needs it
/// instead of being retried (each sevshim retry would be another VM boot).
/// </summary>
public sealed class CriFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Task<CriSharedPod>> _shared = [];
    private Task<CriContainerd>? _instance;

    /// <summary>The running instance, started on the first call.</summary>
    public async Task<CriContainerd> GetAsync()
    {
        await _gate.WaitAsync();
        try
        {
            _instance ??= CriContainerd.StartAsync(CancellationToken.None);
        }
        finally
        {
            _gate.Release();
        }

        return await _instance;
    }

    /// <summary>The shared pod of <paramref name="handler"/>, started on the first call.</summary>
    public async Task<CriSharedPod> SharedPodAsync(string handler)
    {
        var c = await GetAsync();
        Task<CriSharedPod> pod;
        await _gate.WaitAsync();
        try
        {
            if (!_shared.TryGetValue(handler, out var started))
            {
                started = CriSharedPod.StartAsync(c, handler, CancellationToken.None);
                _shared[handler] = started;
            }

            pod = started;
        }
        finally
        {
            _gate.Release();
        }

        try
        {
            return await pod;
        }
        catch (Exception e) when (e is not CriSetupException)
        {
            throw new CriSetupException($"the shared {handler} pod could not be set up: {e.Message}\n{CriDiagnostics.Describe(c, c.SandboxIds)}", e);
        }
    }

    /// <inheritdoc/>
    public Task InitializeAsync() => Task.CompletedTask;

    /// <inheritdoc/>
    public async Task DisposeAsync()
    {
        if (_instance is not null)
        {
            try
            {
                await (await _instance).DisposeAsync();
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or Grpc.Core.RpcException)
            {
                // The start failed and cleaned up after itself; the tests reported why.
            }
        }

        _gate.Dispose();
    }
}
