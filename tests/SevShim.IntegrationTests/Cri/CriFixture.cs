using TestSupport;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// Shares one <see cref="CriContainerd"/> per containerd build and one <see cref="CriSharedPod"/>
/// per build and handler among the CRI tests. Each starts on first use (after the test's prerequisite check), so a run where every
/// CRI test skips starts nothing. A failed start is kept and rethrown to every test that needs it
/// instead of being retried (each sevshim retry would be another VM boot).
/// </summary>
public sealed class CriFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, Task<CriSharedPod>> _shared = [];
    private readonly Dictionary<string, Task<CriContainerd>> _instances = [];

    /// <summary>The running instance of the host's containerd 1.6, started on the first call.</summary>
    public Task<CriContainerd> GetAsync() => GetAsync(ContainerdBuild.Of(ContainerdBuild.Host));

    /// <summary>The running instance of <paramref name="build"/>, started on the first call.</summary>
    public async Task<CriContainerd> GetAsync(ContainerdBuild build)
    {
        ArgumentNullException.ThrowIfNull(build);
        Task<CriContainerd> instance;
        await _gate.WaitAsync();
        try
        {
            if (!_instances.TryGetValue(build.Label, out var started))
            {
                started = CriContainerd.StartAsync(build, CancellationToken.None);
                _instances[build.Label] = started;
            }

            instance = started;
        }
        finally
        {
            _gate.Release();
        }

        return await instance;
    }

    /// <summary>The shared pod of <paramref name="handler"/> on the host's containerd 1.6, started on the first call.</summary>
    public Task<CriSharedPod> SharedPodAsync(string handler) => SharedPodAsync(ContainerdBuild.Of(ContainerdBuild.Host), handler);

    /// <summary>The shared pod of <paramref name="handler"/> on <paramref name="build"/>, started on the first call.</summary>
    public async Task<CriSharedPod> SharedPodAsync(ContainerdBuild build, string handler)
    {
        ArgumentNullException.ThrowIfNull(build);
        var c = await GetAsync(build);
        Task<CriSharedPod> pod;
        var key = build.Label + "/" + handler;
        await _gate.WaitAsync();
        try
        {
            if (!_shared.TryGetValue(key, out var started))
            {
                started = CriSharedPod.StartAsync(c, handler, CancellationToken.None);
                _shared[key] = started;
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
        foreach (var instance in _instances.Values)
        {
            try
            {
                await (await instance).DisposeAsync();
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or Grpc.Core.RpcException)
            {
                // The start failed and cleaned up after itself; the tests reported why.
            }
        }

        _gate.Dispose();
    }
}
