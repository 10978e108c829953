using Microsoft.Extensions.Logging.Abstractions;
using SevAgent.Guest;

namespace SevAgent.Tests.Unit;

/// <summary>The wait for init's background module load, driven by a marker file in a temp folder.</summary>
public sealed class ModuleLoadGateTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sevagent-modules-");

    private string Marker => Path.Combine(_dir.FullName, "modules.loading");

    // Stand-ins for /etc/modules-later and /sys/module.
    private string LaterList => Path.Combine(_dir.FullName, "modules-later");

    private string SysModules => Path.Combine(_dir.FullName, "sys-module");

    [Fact]
    public async Task A_wait_for_named_modules_ends_when_they_are_live_not_when_the_whole_load_is()
    {
        await File.WriteAllTextAsync(Marker, string.Empty);
        await File.WriteAllLinesAsync(LaterList, ["msr", "9pnet_virtio", "9p", "ext4"]);
        SetState("msr", "live");
        SetState("9pnet_virtio", "coming");
        var gate = new ModuleLoadGate(Marker, LaterList, SysModules, TimeSpan.FromMinutes(5), NullLogger<ModuleLoadGate>.Instance);

        Assert.True(gate.WaitForAsync(["msr"], CancellationToken.None).IsCompletedSuccessfully, "msr is live: nothing to wait for");
        Assert.True(gate.WaitForAsync(["xfs"], CancellationToken.None).IsCompletedSuccessfully, "xfs is not loaded in the background: nothing to wait for");

        var share = gate.WaitForAsync(["9pnet_virtio", "9p"], CancellationToken.None);
        var all = gate.WaitAsync(CancellationToken.None);
        SetState("9pnet_virtio", "live");
        await Task.Delay(200);
        Assert.False(share.IsCompleted, "the wait ended before 9p was live");

        SetState("9p", "live");
        await share.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(all.IsCompleted, "the wait for the whole load ended while the marker was still there");

        File.Delete(Marker);
        await all.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Without_init_s_list_a_named_wait_waits_for_the_whole_load()
    {
        await File.WriteAllTextAsync(Marker, string.Empty);
        SetState("msr", "live");
        var gate = new ModuleLoadGate(Marker, LaterList, SysModules, TimeSpan.FromMinutes(5), NullLogger<ModuleLoadGate>.Instance);
        var wait = gate.WaitForAsync(["msr"], CancellationToken.None);
        await Task.Delay(200);
        Assert.False(wait.IsCompleted, "with no list, a live module alone ended the wait");

        File.Delete(Marker);
        await wait.WaitAsync(TimeSpan.FromSeconds(30));
    }

    private void SetState(string module, string state)
    {
        Directory.CreateDirectory(Path.Combine(SysModules, module));
        File.WriteAllText(Path.Combine(SysModules, module, "initstate"), state + "\n");
    }

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Without_a_marker_there_is_nothing_to_wait_for()
    {
        var gate = new ModuleLoadGate(Marker, LaterList, SysModules, TimeSpan.FromMinutes(5), NullLogger<ModuleLoadGate>.Instance);
        var wait = gate.WaitAsync(CancellationToken.None);
        Assert.True(wait.IsCompletedSuccessfully);
        await wait;
    }

    [Fact]
    public async Task The_wait_lasts_until_init_removes_the_marker()
    {
        await File.WriteAllTextAsync(Marker, string.Empty);
        var gate = new ModuleLoadGate(Marker, LaterList, SysModules, TimeSpan.FromMinutes(5), NullLogger<ModuleLoadGate>.Instance);
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
        var gate = new ModuleLoadGate(Marker, LaterList, SysModules, TimeSpan.FromMilliseconds(100), NullLogger<ModuleLoadGate>.Instance);
        await gate.WaitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(File.Exists(Marker));

        // A load that outlived the limit is not waited for a second time (GetGuestInfo, then Create).
        Assert.True(gate.WaitAsync(CancellationToken.None).IsCompletedSuccessfully, "the second wait waited again");
    }

    [Fact]
    public async Task A_cancelled_caller_stops_waiting()
    {
        await File.WriteAllTextAsync(Marker, string.Empty);
        var gate = new ModuleLoadGate(Marker, LaterList, SysModules, TimeSpan.FromMinutes(5), NullLogger<ModuleLoadGate>.Instance);
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gate.WaitAsync(cts.Token).WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
