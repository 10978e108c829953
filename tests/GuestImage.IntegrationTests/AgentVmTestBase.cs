using TestSupport;
using Xunit.Abstractions;

namespace GuestImage.IntegrationTests;

/// <summary>
/// What the test classes of the <see cref="AgentVmCollection"/> share: the shared VM, handed out
/// once the prerequisites and the test rootfs are there, and the guest console tail written to the
/// test output after a test that used it (xUnit shows that output with a failure). The fixture
/// owns the VM; a test class only borrows it for one test.
/// </summary>
public abstract class AgentVmTestBase : IDisposable
{
    private readonly AgentVmFixture _fixture;
    private AgentVm? _vm;

    protected AgentVmTestBase(AgentVmFixture fixture, ITestOutputHelper output)
    {
        _fixture = fixture;
        Output = output;
    }

    /// <summary>The test's output (measurements, diagnostics).</summary>
    protected ITestOutputHelper Output { get; }

    // xUnit 2 disposes test classes through IDisposable only (not IAsyncDisposable).
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing && _vm is not null)
        {
            Output.WriteLine(_vm.Vm.Diagnostics(60));
        }
    }

    /// <summary>Checks the prerequisites, then returns the collection's VM (booting it on first use).</summary>
    private protected async Task<AgentVm> StartAsync()
    {
        Prerequisites.Ensure(AgentVm.Requirements);
        Assert.True(TestRootfs.Missing() is null, TestRootfs.Missing());
        _vm = await _fixture.GetAsync();
        return _vm;
    }
}
