using System.Diagnostics;
using Grpc.Core;
using SevShim.IntegrationTests.Support;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// ExecSync, the call behind exec probes and `exec` lifecycle hooks (CRI.md §1.1, §1.2): stdout and
/// stderr kept apart, the exit code, and the timeout (containerd kills the exec with SIGKILL and
/// answers DeadlineExceeded "timeout … exceeded"), after which the container still serves execs.
/// </summary>
[Collection(CtrCollection.Name)]
public sealed class CriExecSyncTests(CriFixture fixture)
{
    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task ExecSync_returns_stdout_stderr_and_the_exit_code(string handler)
    {
        CriHandler.Ensure(handler);
        var shared = await fixture.SharedPodAsync(handler);
        var pod = shared.Pod;
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            var reply = await pod.ExecSyncAsync(shared.AppId, ["sh", "-c", "echo out-text; echo err-text >&2; exit 7"], 30, default);
            Assert.Equal("out-text\n", reply.Stdout.ToStringUtf8());
            Assert.Equal("err-text\n", reply.Stderr.ToStringUtf8());
            Assert.Equal(7, reply.ExitCode);

            // The exec runs with the container's own process settings: its environment and cwd.
            var env = await pod.ExecSyncAsync(shared.AppId, ["sh", "-c", "echo $PATH; pwd"], 30, default);
            Assert.Equal("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n/\n", env.Stdout.ToStringUtf8());
            Assert.Equal(0, env.ExitCode);

            // A command that does not exist fails inside the container, not the call.
            var missing = await pod.ExecSyncAsync(shared.AppId, ["sh", "-c", "exec /no/such/binary"], 30, default);
            Assert.Equal(127, missing.ExitCode);
            Assert.Contains("/no/such/binary", missing.Stderr.ToStringUtf8(), StringComparison.Ordinal);
        });
    }

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task ExecSync_timeout_kills_the_command_and_fails_the_call(string handler)
    {
        CriHandler.Ensure(handler);
        var shared = await fixture.SharedPodAsync(handler);
        var pod = shared.Pod;
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<RpcException>(() => pod.ExecSyncAsync(shared.AppId, ["sleep", "31"], 2, default));
            var took = clock.Elapsed;
            Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
            Assert.Contains("timeout 2s exceeded", error.Status.Detail, StringComparison.Ordinal);
            Assert.InRange(took, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(30));

            // The timed-out exec is gone from the container and the container still answers.
            var ps = await pod.ShAsync(shared.AppId, "ps -o args", default);
            Assert.DoesNotContain("sleep 31", ps, StringComparison.Ordinal);
            Assert.Equal("still-here\n", await pod.ShAsync(shared.AppId, "echo still-here", default));
        });
    }
}
