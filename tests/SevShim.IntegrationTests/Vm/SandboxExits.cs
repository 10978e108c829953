using System.Threading.Channels;
using SevShim.Sandbox;

namespace SevShim.IntegrationTests.Vm;

/// <summary>Waits for process exits on a sandbox's event channel.</summary>
internal static class SandboxExits
{
    /// <summary>
    /// The exit of <paramref name="containerId"/>/<paramref name="execId"/>. Other exits read on
    /// the way are dropped, or, with <paramref name="early"/>, kept there for their own wait
    /// (and looked up first).
    /// </summary>
    public static async Task<ProcessExited> NextAsync(
        ChannelReader<SandboxEvent> events, string containerId, string execId, CancellationToken ct, List<ProcessExited>? early = null)
    {
        var earlier = early?.Find(x => x.ContainerId == containerId && x.ExecId == execId);
        if (earlier is not null)
        {
            early!.Remove(earlier);
            return earlier;
        }

        await foreach (var e in events.ReadAllAsync(ct))
        {
            if (e is ProcessExited exit)
            {
                if (exit.ContainerId == containerId && exit.ExecId == execId)
                {
                    return exit;
                }

                early?.Add(exit);
            }
        }

        throw new InvalidOperationException($"the events ended without an exit of {containerId}/{execId}");
    }
}
