using Microsoft.Extensions.Logging.Abstractions;
using SevAgent.Guest;
using TestSupport;

namespace SevAgent.ComponentTests;

/// <summary>
/// The module-load gate against the real kernel's scheduler: it raises and lowers the nice
/// value of init's background modprobe (a stand-in child here), which needs CAP_SYS_NICE, so
/// root. The gate's waiting rules alone are unit tests (SevAgent.Tests ModuleLoadGateTests).
/// </summary>
public sealed class ModuleLoadGateNiceTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sevagent-modules-");

    private string Marker => Path.Combine(_dir.FullName, "modules.loading");

    // Stand-ins for /etc/modules-later and /sys/module.
    private string LaterList => Path.Combine(_dir.FullName, "modules-later");

    private string SysModules => Path.Combine(_dir.FullName, "sys-module");

    public void Dispose() => _dir.Delete(recursive: true);

    [E2EFact(Requirement.Root)]
    public async Task Modprobe_runs_at_nice_0_while_someone_waits_and_at_19_otherwise()
    {
        Prerequisites.Ensure(Requirement.Root);

        // Stands in for init's background modprobe: a child at nice 19 whose pid is in the marker.
        using var child = System.Diagnostics.Process.Start("/bin/sh", ["-c", "renice -n 19 -p $$ >/dev/null; exec sleep 60"])!;
        try
        {
            await WaitForAsync(() => Nice(child.Id) == 19);
            await File.WriteAllTextAsync(Marker, child.Id + "\n");
            await File.WriteAllLinesAsync(LaterList, ["9p", "ext4"]);
            var gate = new ModuleLoadGate(Marker, LaterList, SysModules, TimeSpan.FromMinutes(5), NullLogger<ModuleLoadGate>.Instance);
            var wait = gate.WaitForAsync(["9p"], CancellationToken.None);
            await WaitForAsync(() => Nice(child.Id) == 0);
            Assert.False(wait.IsCompleted);

            // 9p is there, ext4 still loads: nobody waits, so modprobe yields the CPU again.
            SetState("9p", "live");
            await wait.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(19, Nice(child.Id));

            var all = gate.WaitAsync(CancellationToken.None);
            await WaitForAsync(() => Nice(child.Id) == 0);
            File.Delete(Marker);
            await all.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            child.Kill();
        }
    }

    // The nice value: field 19 of /proc/<pid>/stat (proc(5)), counted after the ")" of the name.
    private static int Nice(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition did not hold within 30 s");
            await Task.Delay(20);
        }
    }


    private void SetState(string module, string state)
    {
        Directory.CreateDirectory(Path.Combine(SysModules, module));
        File.WriteAllText(Path.Combine(SysModules, module, "initstate"), state + "\n");
    }
}
