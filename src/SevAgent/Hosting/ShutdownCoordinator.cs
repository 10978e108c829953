using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SevAgent.Native;

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
                _log.LogInformation("powering off");
                LibC.reboot(LibC.RB_POWER_OFF);
                _log.LogError("reboot(RB_POWER_OFF) failed: {Error}", LibC.LastError());
            }

            _lifetime.StopApplication();
        });
    }
}
