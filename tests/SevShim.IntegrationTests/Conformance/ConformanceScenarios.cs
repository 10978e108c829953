using System.Globalization;
using System.Text.RegularExpressions;
using SevShim.IntegrationTests.Support;

namespace SevShim.IntegrationTests.Conformance;

/// <summary>
/// The scenarios of the conformance suite, each run the same way whatever the runtime, each
/// returning what the `ctr` user saw. Scenarios are grouped so that a sevshim run boots few VMs:
/// one VM per `ctr run`, and the long-running container carries the exec, user, cwd, ps, pause,
/// metrics and signal checks. Callers remove the container ids they pass in.
/// </summary>
public static partial class ConformanceScenarios
{
    /// <summary>The stdin the echo scenario sends.</summary>
    public const string StdinText = "hello\nworld\n";

    /// <summary>The bulk output size (64 MiB).</summary>
    public const long BulkBytes = 64L << 20;

    private static readonly TimeSpan Long = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan Short = TimeSpan.FromMinutes(2);

    /// <summary>`ctr run --rm --env --cwd`: stdout and stderr apart, environment, cwd, hostname, exit 3.</summary>
    public static async Task<OutputObservation> OutputAsync(CtrContainerd c, string runtime, string id)
    {
        ArgumentNullException.ThrowIfNull(c);
        var run = await c.CtrAsync(Long, [.. c.RunArgs(runtime, id, ["--rm", "--env", "FOO=bar", "--cwd", "/tmp"],
            "sh", "-c", "echo \"out:$FOO\"; pwd; hostname; echo \"err:$FOO\" >&2; exit 3")]);
        return new OutputObservation(run.ExitCode, run.Stdout, run.Stderr);
    }

    /// <summary>`ctr run --rm` (ctr 1.6 always forwards its stdin): stdin echoed by cat, then 64 MiB of random data intact by sha256.</summary>
    public static async Task<BulkObservation> StdinAndBulkAsync(CtrContainerd c, string runtime, string id)
    {
        ArgumentNullException.ThrowIfNull(c);
        // No pause after the output: the exit must not overtake it. sevshim publishes the exit
        // only once ctr has taken every byte from the stdout FIFO (ProcessIo, PollableFd.
        // WaitForReader); under a CPU hog a ctr that lagged at the exit lost one 32 KiB copy
        // buffer before that, as it still can with runc's shim (the reference may run again).
        var script = "cat; head -c " + BulkBytes.ToString(CultureInfo.InvariantCulture)
            + " /dev/urandom > /tmp/bulk; sha256sum /tmp/bulk >&2; cat /tmp/bulk";
        await using var ctr = c.StartCtr(c.RunArgs(runtime, id, ["--rm"], "sh", "-c", script), stdoutHashSkip: StdinText.Length);

        // ctr 1.6 turns end of stdin into CloseIO, but drops it when the end comes before the
        // task is registered (the closer's task lookup fails): type only once the task runs,
        // as a user would.
        var running = await CtrWait.UntilAsync(async () => await c.TaskStatusAsync(id) == "RUNNING", Long);
        if (!running)
        {
            throw new InvalidOperationException($"task {id} never ran: {ctr.Stderr}");
        }

        await ctr.WriteStdinAsync(StdinText, CancellationToken.None);
        ctr.CloseStdin();
        var run = await ctr.WaitAsync(Long);
        var reported = run.Stderr.Split(' ', 2)[0].Trim();
        var echo = run.Stdout[..Math.Min(StdinText.Length, run.Stdout.Length)];
        return new BulkObservation(run.ExitCode, echo, run.StdoutLength, reported.Length == 64 && reported == run.StdoutSha256)
        {
            Detail = $"container sha256sum: {run.Stderr.Trim()}; host sha256 of stdout after the echo: {run.StdoutSha256}",
        };
    }

    /// <summary>
    /// What <see cref="ReadOnlyRootAsync"/> runs: one line per check, the failures' messages on
    /// stderr, the root's entries (a block rootfs image must add none, e.g. no lost+found), and last
    /// the root's file system type (which tells the runtimes' rootfs apart).
    /// </summary>
    public const string ReadOnlyRootScript =
        "touch /new-file; echo \"root-write:$?\"; " +
        "grep -E '^[^ ]+ / ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1; " +
        "cut -d' ' -f2,3 /proc/mounts | grep -E '^/(proc|sys|dev) ' | sort; " +
        "cat /newdir/hello; touch /newdir/x; echo \"bind-write:$?\"; " +
        "touch /dev/shm/x; echo \"shm-write:$?\"; " +
        "echo \"root-entries:\" $(ls -a /); " +
        "grep -E '^[^ ]+ / ' /proc/mounts | cut -d' ' -f3";

    /// <summary>
    /// `ctr run --rm --read-only` with a read-only bind onto /newdir, a folder the image does not
    /// have: the runtime makes that mount point, and /proc, /sys and /dev, before the root becomes
    /// read-only; then writes to / and to the bind fail, /dev/shm stays writable.
    /// <paramref name="flags"/> come first (a sevshim run passes its block-mode config there).
    /// </summary>
    public static async Task<OutputObservation> ReadOnlyRootAsync(CtrContainerd c, string runtime, string id, IReadOnlyList<string> flags)
    {
        ArgumentNullException.ThrowIfNull(c);
        var volume = Directory.CreateDirectory(Path.Combine(c.Dir, "ro-volume")).FullName;
        await File.WriteAllTextAsync(Path.Combine(volume, "hello"), "from-the-host\n");
        var run = await c.CtrAsync(Long, [.. c.RunArgs(runtime, id, [.. flags, "--rm", "--read-only", "--mount", $"type=bind,src={volume},dst=/newdir,options=rbind:ro"],
            "sh", "-c", ReadOnlyRootScript)]);
        return new OutputObservation(run.ExitCode, run.Stdout, run.Stderr);
    }

    /// <summary>`ctr run -t --rm` under a pty (util-linux script): the process sees a terminal, exit 4.</summary>
    public static async Task<TtyObservation> TtyAsync(CtrContainerd c, string runtime, string id)
    {
        ArgumentNullException.ThrowIfNull(c);
        var ctrLine = string.Join(' ', new[] { c.Build.Ctr }
            .Concat(c.CtrArgs(c.RunArgs(runtime, id, ["-t", "--rm"], "sh", "-c", "tty; test -t 0 && test -t 1 && echo both-tty; exit 4")))
            .Select(CtrCommand.ShellQuote));
        await using var script = CtrCommand.Start("script", ["-q", "-e", "-c", ctrLine, "/dev/null"]);
        script.CloseStdin();
        var run = await script.WaitAsync(Long);
        var lines = run.Stdout.Replace("^@", string.Empty, StringComparison.Ordinal)
            .Split('\n')
            .Select(l => new string(l.Where(ch => !char.IsControl(ch)).ToArray()).Trim())
            .Where(l => l.Length > 0)
            .ToList();
        return new TtyObservation(run.ExitCode, lines);
    }

    /// <summary>
    /// One `ctr run -d` container: attach with stdin, exec as another user in another cwd, exec
    /// exit codes, ps while an exec runs, SIGTERM/SIGKILL of execs, pause/resume, metrics, then
    /// SIGKILL of the init process and delete.
    /// </summary>
    public static async Task<LongRunningObservation> LongRunningAsync(CtrContainerd c, string runtime, string id)
    {
        ArgumentNullException.ThrowIfNull(c);
        var obs = new LongRunningObservation();

        // Init reads lines until "stop", echoing them to stdout and stderr, then becomes a sleep.
        // ctr run -d copies its stdin into the task until it exits: keep ours open until then,
        // since end of file would make ctr close the task's stdin (CloseIO).
        await using (var run = c.StartCtr(c.RunArgs(runtime, id, ["-d", "--env", "FOO=bar"], "sh", "-c",
            "while read l; do echo \"got:$l\"; echo \"err:$l\" >&2; [ \"$l\" = stop ] && break; done; exec sleep 100000")))
        {
            var started = await run.WaitAsync(Long);
            obs = obs with { RunDetachedExit = started.ExitCode };
            if (started.ExitCode != 0)
            {
                throw new InvalidOperationException("ctr run -d failed:\n" + started.Describe());
            }
        }

        await using (var attach = c.StartCtr(["task", "attach", id]))
        {
            await attach.WriteStdinAsync("hello\n", CancellationToken.None);
            await attach.WaitForOutputAsync("got:hello\n", Short);
            await attach.WriteStdinAsync("stop\n", CancellationToken.None);
            await attach.WaitForOutputAsync("got:stop\n", Short);
            await attach.WaitForOutputAsync("err:stop\n", Short, onStderr: true);
            obs = obs with { AttachStdout = attach.Stdout, AttachStderr = attach.Stderr };

            // SIGKILL ends ctr attach without forwarding a signal to the task.
            attach.Kill();
        }

        var asUser = await Exec(c, id, "u1", ["--user", "1000:1000", "--cwd", "/tmp"],
            "sh", "-c", "echo \"env:$FOO\"; pwd; id; hostname; echo exec-err >&2");
        obs = obs with
        {
            ExecAsUser = new OutputObservation(asUser.ExitCode, asUser.Stdout, asUser.Stderr),
            ExecTrueExit = (await Exec(c, id, "t1", [], "true")).ExitCode,
            ExecFalseExit = (await Exec(c, id, "f1", [], "false")).ExitCode,
            ExecExit3 = (await Exec(c, id, "x3", [], "sh", "-c", "exit 3")).ExitCode,
        };

        var (termExit, psCount) = await ExecKilledAsync(c, id, "s15", "SIGTERM");
        var (killExit, _) = await ExecKilledAsync(c, id, "s9", "SIGKILL");
        obs = obs with { ExecSigtermExit = termExit, PsCountWhileExecRuns = psCount, ExecSigkillExit = killExit };

        (await c.CtrAsync(Short, "task", "pause", id)).EnsureSuccess();
        obs = obs with { PausedStatus = await c.TaskStatusAsync(id) };
        (await c.CtrAsync(Short, "task", "resume", id)).EnsureSuccess();
        obs = obs with { ResumedStatus = await c.TaskStatusAsync(id) };
        obs = obs with { AfterResumeStdout = (await Exec(c, id, "r1", [], "echo", "after-resume")).Stdout };

        var metrics = await c.CtrAsync(Short, "task", "metrics", id);
        obs = obs with
        {
            MetricsExit = metrics.ExitCode,
            MetricsShowPids = metrics.Stdout.Split('\n').Any(l => l.StartsWith("pids.current", StringComparison.Ordinal)),
        };

        (await c.CtrAsync(Short, "task", "kill", "-s", "SIGKILL", id)).EnsureSuccess();
        await CtrWait.UntilAsync(async () => await c.TaskStatusAsync(id) == "STOPPED", Short);
        obs = obs with { StatusAfterSigkill = await c.TaskStatusAsync(id) };

        // ctr task delete reports a non-zero exit as a warning naming the code.
        var delete = (await c.CtrAsync(Short, "task", "delete", id)).EnsureSuccess();
        var code = ExitCodeWarning().Match(delete.Stderr);
        obs = obs with
        {
            DeleteReportedExitCode = code.Success ? int.Parse(code.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            ContainerDeleteExit = (await c.CtrAsync(Short, "container", "delete", id)).ExitCode,
        };
        return obs;
    }

    /// <summary>`ctr task ps` process count.</summary>
    public static async Task<int> PsCountAsync(CtrContainerd c, string id)
    {
        ArgumentNullException.ThrowIfNull(c);
        var ps = (await c.CtrAsync(Short, "task", "ps", id)).EnsureSuccess();
        return ps.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Skip(1)
            .Count(l => int.TryParse(l.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(), out _));
    }

    private static async Task<CtrResult> Exec(CtrContainerd c, string id, string execId, string[] flags, params string[] command) =>
        await c.CtrAsync(Short, ["task", "exec", "--fifo-dir", c.FifoDir, "--exec-id", execId, .. flags, id, .. command]);

    /// <summary>
    /// Starts `sleep` as an exec, waits until ps lists exactly the init and it, signals it;
    /// returns ctr's exit code and the last ps count seen (2, or what ps showed instead).
    /// Why exactly 2 and not "at least 2": while an exec starts, the OCI runtime's own helper
    /// (crun's or runc's intermediate child that joins the container's cgroup before the exec'd
    /// process forks) is in cgroup.procs for a moment, so a count of 3 is a passing state of a
    /// correct runtime; what must hold is that ps settles on the init and the exec.
    /// </summary>
    private static async Task<(int ExitCode, int PsCount)> ExecKilledAsync(CtrContainerd c, string id, string execId, string signal)
    {
        await using var exec = c.StartCtr(["task", "exec", "--fifo-dir", c.FifoDir, "--exec-id", execId, id, "sleep", "100000"]);
        var count = 0;
        var listed = await CtrWait.UntilAsync(async () => (count = await PsCountAsync(c, id)) == 2, Short);
        if (!listed)
        {
            throw new InvalidOperationException($"ctr task ps never listed just the init and exec {execId} (last count {count}); exec: {exec.Stderr}");
        }

        (await c.CtrAsync(Short, "task", "kill", "--exec-id", execId, "-s", signal, id)).EnsureSuccess();
        exec.CloseStdin();
        return ((await exec.WaitAsync(Short)).ExitCode, count);
    }

    [GeneratedRegex(@"exit code (\d+)")]
    private static partial Regex ExitCodeWarning();
}
