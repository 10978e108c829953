namespace SevShim.IntegrationTests.Conformance;

/// <summary>
/// What every runtime must show in the conformance scenarios (runc shows exactly this; the
/// sevshim tests also compare field by field with runc's observation).
/// </summary>
public static class ConformanceExpectations
{
    public static void Output(OutputObservation o)
    {
        ArgumentNullException.ThrowIfNull(o);
        Assert.True(o.ExitCode == 3, $"exit code {o.ExitCode}, expected 3: {o}");
        var lines = o.Stdout.Split('\n');
        Assert.True(lines.Length == 4 && lines[0] == "out:bar" && lines[1] == "/tmp" && lines[2].Length > 0 && lines[3].Length == 0,
            $"stdout should be out:bar, /tmp, the hostname: {o}");
        Assert.Equal("err:bar\n", o.Stderr);
    }

    public static void ReadOnlyRoot(OutputObservation o)
    {
        ArgumentNullException.ThrowIfNull(o);
        Assert.True(o.ExitCode == 0, $"exit code {o.ExitCode}: {o}");
        Assert.StartsWith(
            "root-write:1\nro\n/dev tmpfs\n/proc proc\n/sys sysfs\nfrom-the-host\nbind-write:1\nshm-write:0\n",
            o.Stdout, StringComparison.Ordinal);
        Assert.Equal(
            "touch: /new-file: Read-only file system\ntouch: /newdir/x: Read-only file system\n",
            o.Stderr);
    }

    public static void Bulk(BulkObservation o)
    {
        ArgumentNullException.ThrowIfNull(o);
        Assert.True(o.ExitCode == 0, $"exit code {o.ExitCode}: {o}");
        Assert.Equal(ConformanceScenarios.StdinText, o.Echo);
        Assert.Equal(ConformanceScenarios.StdinText.Length + ConformanceScenarios.BulkBytes, o.StdoutLength);
        Assert.True(o.HashMatches, "64 MiB output changed on the way: " + o.Detail);
    }

    public static void Tty(TtyObservation o)
    {
        ArgumentNullException.ThrowIfNull(o);
        Assert.True(o.ExitCode == 4, $"exit code: {o}");
        Assert.True(o.Lines.Contains("both-tty"), $"stdin and stdout should be terminals: {o}");
        Assert.True(o.Lines.Any(l => l.StartsWith("/dev/pts/", StringComparison.Ordinal)), $"tty should name a pts: {o}");
    }

    public static void LongRunning(LongRunningObservation o)
    {
        ArgumentNullException.ThrowIfNull(o);
        Assert.Equal(0, o.RunDetachedExit);
        Assert.Equal("got:hello\ngot:stop\n", o.AttachStdout);
        Assert.Equal("err:hello\nerr:stop\n", o.AttachStderr);
        Assert.True(o.ExecAsUser.ExitCode == 0, $"exec as 1000:1000: {o.ExecAsUser}");
        Assert.StartsWith("env:bar\n/tmp\nuid=1000 gid=1000 groups=1000\n", o.ExecAsUser.Stdout, StringComparison.Ordinal);
        Assert.Equal("exec-err\n", o.ExecAsUser.Stderr);
        Assert.Equal(0, o.ExecTrueExit);
        Assert.Equal(1, o.ExecFalseExit);
        Assert.Equal(3, o.ExecExit3);
        Assert.Equal(2, o.PsCountWhileExecRuns);
        Assert.Equal(143, o.ExecSigtermExit);
        Assert.Equal(137, o.ExecSigkillExit);
        Assert.Equal("PAUSED", o.PausedStatus);
        Assert.Equal("RUNNING", o.ResumedStatus);
        Assert.Equal("after-resume\n", o.AfterResumeStdout);
        Assert.Equal(0, o.MetricsExit);
        Assert.True(o.MetricsShowPids, "ctr task metrics should show pids.current");
        Assert.Equal("STOPPED", o.StatusAfterSigkill);
        Assert.Equal(137, o.DeleteReportedExitCode);
        Assert.Equal(0, o.ContainerDeleteExit);
    }
}
