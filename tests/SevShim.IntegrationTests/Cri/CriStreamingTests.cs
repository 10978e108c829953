using Runtime.V1;
using SevShim.IntegrationTests.Support;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// `kubectl exec -it`, `kubectl exec` with separate streams and `kubectl attach` as kubelet
/// relays them: CRI Exec and Attach, then containerd's streaming server over a WebSocket
/// (<see cref="CriStream"/>), with each handler: a terminal that takes its resize, stdin that
/// reaches the process, stdout and stderr apart without a tty, the exit code in the final
/// status, and an attach to a running container's terminal.
/// </summary>
[Collection(CtrCollection.Name)]
public sealed class CriStreamingTests(CriFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    [CriTheory]
    [CriHandler(CriHandler.Runc)]
    [CriHandler(CriHandler.Sevshim)]
    public async Task Exec_with_a_tty_and_stdin_exec_with_separate_streams_and_attach_work_as_with_runc(string handler)
    {
        CriHandler.Ensure(handler);
        var c = await fixture.GetAsync();
        var pod = await CriPod.RunAsync(c, handler, CriPodSpec.Pod(c, "stream-" + handler, "cri-stream"), default);
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            var main = await pod.StartContainerAsync(CriPodSpec.Shell("main", "exec sleep 2147483647"), default);

            // kubectl exec -it main -- sh: resize first, as kubectl sends the terminal's size.
            var tty = await c.Runtime.ExecAsync(new ExecRequest { ContainerId = main, Cmd = { "sh" }, Tty = true, Stdin = true, Stdout = true });
            await using (var s = await CriStream.ConnectAsync(tty.Url, c.Netns!.Path, default))
            {
                await s.ResizeAsync(101, 31, default);
                await s.SendStdinAsync("stty size; echo tty-$((6*7)); exit 3\n", default);
                Assert.True(await s.ReadUntilAsync(x => x.Status is not null, Wait), $"no exit status; stdout so far: '{s.Stdout}'");
                Assert.Contains("31 101", s.Stdout, StringComparison.Ordinal);
                Assert.Contains("tty-42", s.Stdout, StringComparison.Ordinal);
                Assert.Equal(3, s.ExitCode());
            }

            // kubectl exec -i main -- sh -c ...: stdin in, stdout and stderr apart.
            var plain = await c.Runtime.ExecAsync(new ExecRequest
            {
                ContainerId = main,
                Cmd = { "sh", "-c", "head -c 5; echo; echo to-stderr >&2" },
                Stdin = true,
                Stdout = true,
                Stderr = true,
            });
            await using (var s = await CriStream.ConnectAsync(plain.Url, c.Netns.Path, default))
            {
                await s.SendStdinAsync("hello", default);
                Assert.True(await s.ReadUntilAsync(x => x.Status is not null, Wait), $"no exit status; stdout '{s.Stdout}', stderr '{s.Stderr}'");
                Assert.Equal("hello\n", s.Stdout);
                Assert.Equal("to-stderr\n", s.Stderr);
                Assert.Equal(0, s.ExitCode());
            }

            // kubectl attach -it: a container started with a terminal and stdin.
            var interactive = CriPodSpec.Shell("interactive", "exec sh");
            interactive.Command.Clear();
            interactive.Command.Add("sh");
            interactive.Stdin = true;
            interactive.Tty = true;
            var shell = await pod.StartContainerAsync(interactive, default);
            var attach = await c.Runtime.AttachAsync(new AttachRequest { ContainerId = shell, Stdin = true, Tty = true, Stdout = true });
            await using (var s = await CriStream.ConnectAsync(attach.Url, c.Netns.Path, default))
            {
                await s.SendStdinAsync("echo attached-$((2+3))\n", default);
                Assert.True(
                    await s.ReadUntilAsync(x => x.Stdout.Contains("attached-5", StringComparison.Ordinal), Wait),
                    $"the attached terminal did not answer; stdout so far: '{s.Stdout}'");
            }

            await pod.StopAndRemoveAsync(default);
            var leaks = new List<string>();
            await CtrWait.UntilAsync(async () => (leaks = await CriLeaks.OfAsync(pod, default)).Count == 0, TimeSpan.FromSeconds(30));
            Assert.True(leaks.Count == 0, $"after RemovePodSandbox of {pod.Id} ({handler}) these remain:\n" + string.Join('\n', leaks));
        });
    }
}
