namespace GuestImage.IntegrationTests;

/// <summary>
/// One agent VM for a whole test collection (boot costs 4 to 30 s under TCG). It boots only when
/// the prerequisites are there; tests call Prerequisites.Ensure first, then <see cref="GetAsync"/>,
/// which rethrows a boot failure with the console tail.
/// </summary>
public sealed class AgentVmFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private AgentVm? _vm;
    private Exception? _bootFailure;

    internal async Task<AgentVm> GetAsync()
    {
        await _gate.WaitAsync();
        try
        {
            if (_bootFailure is not null)
            {
                throw new InvalidOperationException("the shared agent VM failed to boot: " + _bootFailure.Message, _bootFailure);
            }

            if (_vm is null || _vm.Vm.HasExited)
            {
                if (_vm is not null)
                {
                    var diagnostics = _vm.Vm.Diagnostics();
                    await _vm.DisposeAsync();
                    _vm = null;
                    throw new InvalidOperationException("the shared agent VM has exited (an earlier test may have crashed it)" + diagnostics);
                }

                try
                {
                    _vm = await AgentVm.BootAsync();
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException)
                {
                    _bootFailure = e;
                    throw;
                }
            }

            return _vm;
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_vm is not null)
        {
            await _vm.DisposeAsync();
        }

        _gate.Dispose();
    }
}
