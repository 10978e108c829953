using Microsoft.Extensions.Logging.Abstractions;
using SevAgent.Guest;

namespace SevAgent.Tests.Unit;

/// <summary>The wait for init's background module load, driven by a marker file in a temp folder.</summary>
public sealed class ModuleLoadGateTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sevagent-modules-");

    private string Marker => Path.Combine(_dir.FullName, "modules.loading");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Without_a_marker_there_is_nothing_to_wait_for()
    {
        var gate = new ModuleLoadGate(Marker, TimeSpan.FromMinutes(5), NullLogger<ModuleLoadGate>.Instance);
        var wait = gate.WaitAsync(CancellationToken.None);
        Assert.True(wait.IsCompletedSuccessfully);
        await wait;
    }

    [Fact]
    public async Task The_wait_lasts_until_init_removes_the_marker()
    {
        await File.WriteAllTextAsync(Marker, string.Empty);
        var gate = new ModuleLoadGate(Marker, TimeSpan.FromMinutes(5), NullLogger<ModuleLoadGate>.Instance);
        var wait = gate.WaitAsync(CancellationToken.None);
        await Task.Delay(200);
        Assert.False(wait.IsCompleted, "the gate opened while the marker was still there");

        File.Delete(Marker);
        await wait.WaitAsync(TimeSpan.FromSeconds(30));

        // Once open it stays open, even if a marker appeared again (init never recreates it).
        await File.WriteAllTextAsync(Marker, string.Empty);
        Assert.True(gate.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_marker_that_never_goes_ends_the_wait_at_the_limit()
    {
        await File.WriteAllTextAsync(Marker, string.Empty);
        var gate = new ModuleLoadGate(Marker, TimeSpan.FromMilliseconds(100), NullLogger<ModuleLoadGate>.Instance);
        await gate.WaitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(File.Exists(Marker));
    }

    [Fact]
    public async Task A_cancelled_caller_stops_waiting()
    {
        await File.WriteAllTextAsync(Marker, string.Empty);
        var gate = new ModuleLoadGate(Marker, TimeSpan.FromMinutes(5), NullLogger<ModuleLoadGate>.Instance);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gate.WaitAsync(cts.Token).WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
