using System.Diagnostics;

namespace SevShim.IntegrationTests;

/// <summary>Signals processes the tests started, by pid (never by name), through kill(1).</summary>
internal static class Signals
{
    public const string SIGKILL = "KILL";
    public const string SIGTERM = "TERM";

    public static int Kill(int pid, string signal)
    {
        using var kill = Process.Start("kill", ["-s", signal, pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        return kill.ExitCode;
    }
}
