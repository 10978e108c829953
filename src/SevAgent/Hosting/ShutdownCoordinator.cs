using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SevAgent.Native;
using SevRuntime.Posix;

namespace SevAgent.Hosting;

/// <summary>
/// Ends the agent after the Shutdown reply went out: sync, then reboot(RB_POWER_OFF) as PID 1
/// (QEMU exits when the guest powers off), or stop the host process otherwise.
/// </summary>
internal sealed class ShutdownCoordinator
{
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger<ShutdownCoordinator> _log;

    public ShutdownCoordinator(IHostApplicationLifetime lifetime, ILogger<ShutdownCoordinator> log)
    {
        _lifetime = lifetime;
        _log = log;
    }

    /// <summary>
    /// Writes the agent's memory use to the console and waits until the line is out of the
    /// serial port: the shim stops the VM as soon as the Shutdown reply arrives. The agent's
    /// memory is invisible from the host and from containers (their own pid namespaces); the
    /// benchmark (bench/) reads this line from the pod's console.
    /// </summary>
    public static void ReportMemory()
    {
        StderrWriter.WriteLine($"sevagent {StderrWriter.Timestamp(DateTime.UtcNow)} info ShutdownCoordinator: powering off (agent VmRSS {StatusField("VmRSS")} kB, VmHWM {StatusField("VmHWM")} kB)");
        LibC.tcdrain(2);
    }

    /// <summary>Schedules the power-off (or exit) shortly after the current reply.</summary>
    public void Schedule()
    {
        _ = Task.Run(async () =>
        {
            // Let Kestrel flush the reply; the VM is going away either way.
            await Task.Delay(TimeSpan.FromMilliseconds(200)).ConfigureAwait(false);
            LibC.sync();
            if (Environment.ProcessId == 1)
            {
                LibC.reboot(LibC.RB_POWER_OFF);
                _log.LogError("reboot(RB_POWER_OFF) failed: {Error}", Posix.LastError());
            }

            _lifetime.StopApplication();
        });
    }

    // A "Name:   123 kB" field of /proc/self/status (proc(5)), as its number; "?" when absent.
    private static string StatusField(string name)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith(name + ":", StringComparison.Ordinal))
                {
                    return line[(name.Length + 1)..].Replace("kB", string.Empty, StringComparison.Ordinal).Trim();
                }
            }
        }
        catch (IOException)
        {
        }

        return "?";
    }
}
