namespace SevBench;

/// <summary>
/// The phases of a sevshim cold start (issue 6): each milestone's time minus the previous one's.
/// Host-side milestones come from the shim's log lines, guest ones from the console lines of the
/// guest init (guest-image/init.sh) and the agent (src/SevAgent/Program.cs).
/// </summary>
internal static class Breakdown
{
    public static readonly IReadOnlyList<Milestone> Milestones =
    [
        new("ctr and containerd until the start verb", r => r.Shim.First(r.Id, "start verb begun")),
        new("start verb (spawns the daemon)", r => r.Shim.First(r.Id, $"start {r.Id}:")),
        new("daemon up", r => r.Shim.First(r.Id, "daemon started for")),
        new("Create until QEMU spawned", r => r.Shim.First(r.Id, "QEMU started (pid")),
        new("QEMU and guest kernel boot", r => r.Console.First("sevshim-init: stage1")),
        new("guest init (channel modules, root bind mount)", r => r.Console.First("sevshim-init: agent start")),
        new("agent start-up until listening", r => r.Console.First("serving on")),
        new("agent ready to the shim", r => r.Shim.First(r.Id, "answered after")),
        new("container created (after the background modules)", r => r.Shim.First(r.Id, "created (guest pid")),
        new("process started", r => r.Shim.First(r.Id, "Started init process")),
        new("process ran and exited", r => r.Shim.First(r.Id, "init process of task")),
        new("teardown (--rm) until ctr exits", r => r.End),
    ];

    /// <summary>The milestone times of a run, the bench's start first.</summary>
    public static double[] Times(ColdStartRun run) => [run.Start, .. Milestones.Select(m => m.Find(run))];

    /// <summary>Per phase, the durations over <paramref name="runs"/> (NaN where a milestone is missing).</summary>
    public static IReadOnlyList<Stats?> PhaseStats(IReadOnlyList<ColdStartRun> runs)
    {
        var times = runs.Select(Times).ToArray();
        return Milestones.Select((_, i) => Stats.Of(times.Select(t => t[i + 1] - t[i]))).ToArray();
    }

    /// <summary>The stretch between two milestones (0 is the bench's start), over the runs.</summary>
    public static Stats? Between(IReadOnlyList<ColdStartRun> runs, int from, int to) =>
        Stats.Of(runs.Select(Times).Select(t => t[to] - t[from]));

    /// <summary>The index in <see cref="Times"/> of the milestone ending <paramref name="phase"/>.</summary>
    public static int IndexOf(string phase)
    {
        for (var i = 0; i < Milestones.Count; i++)
        {
            if (Milestones[i].Phase == phase)
            {
                return i + 1;
            }
        }

        throw new ArgumentException($"no phase named {phase}", nameof(phase));
    }
}
