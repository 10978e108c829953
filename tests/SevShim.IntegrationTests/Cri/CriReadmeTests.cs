using System.Text.RegularExpressions;
using Grpc.Core;
using Runtime.V1;
using SevShim.IntegrationTests.Support;
using TestSupport;
using Xunit.Abstractions;

namespace SevShim.IntegrationTests.Cri;

/// <summary>
/// README.md's "Kubernetes" section followed literally, as a cluster operator would (issue 11,
/// "Done when"): step 1 runs scripts/install.sh and the host check; step 2 gives a containerd the
/// shipped snippet unchanged (ConfigPath = /etc/sevshim/config.toml, the shim found on PATH in
/// /usr/local/bin); the RuntimeClass's handler and overhead make the pod. On a host without SEV
/// the pod is refused with the README's words, then the README's opt-out for such a node is
/// applied and the pod runs in a VM. The test first checks that the README still says each
/// thing it does, so the section and the test cannot drift apart.
/// </summary>
[Collection(CtrCollection.Name)]
public sealed partial class CriReadmeTests(ITestOutputHelper output)
{
    private const string Refusal = "confidential.mode = \"sev\" is not available on this host";

    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(12);

    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(30);

    [E2EFact(Requirement.Root, Requirement.Containerd, Requirement.Ctr, Requirement.CniPlugins, Requirement.Iproute,
        Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    public async Task The_Kubernetes_section_of_the_README_followed_literally_runs_a_pod_in_a_VM()
    {
        var section = KubernetesSection();
        foreach (var said in new[]
        {
            "`./scripts/install.sh`",
            "`containerd-shim-sevshim-v2 check`",
            "(config/containerd/config-v2.toml)",
            "`kubectl apply -f config/kubernetes/runtimeclass.yaml`",
            "`runtimeClassName: sevshim`",
            Refusal,
            "`mode = \"none\"` under `[confidential]` and `mode = \"shared\"` under\n`[rootfs]`",
            "containerd needs no restart",
        })
        {
            Assert.True(section.Contains(said, StringComparison.Ordinal), $"README.md's Kubernetes section no longer says {said}: change this test with it");
        }

        // A node that had sevshim before keeps its own configuration (install.sh never overwrites
        // one); the operator of a fresh node gets the shipped one, which is what is followed here.
        var backup = CriContainerd.InstalledConfig + ".before-readme-test";
        var hadConfig = File.Exists(CriContainerd.InstalledConfig);
        if (hadConfig)
        {
            File.Move(CriContainerd.InstalledConfig, backup, overwrite: true);
        }

        try
        {
            await FollowAsync();
        }
        finally
        {
            if (hadConfig)
            {
                File.Move(backup, CriContainerd.InstalledConfig, overwrite: true);
            }
            else if (File.Exists(CriContainerd.InstalledConfig))
            {
                // Leave the node as install.sh left it: the shipped configuration.
                File.Copy(Path.Combine(RepoPaths.Root, "config", "config.toml"), CriContainerd.InstalledConfig, overwrite: true);
            }
        }
    }

    private async Task FollowAsync()
    {
        // Step 1: install. scripts/test.sh has installed the packages and built the tree this test
        // runs from, so the script is told to skip both (a rebuild would replace the running
        // assemblies), and the firmware build (minutes, and only SEV pods need it; TCG pods boot
        // without it); all it does besides is as the README says, demo pod included.
        await using (var install = CtrCommand.Start(
            Path.Combine(RepoPaths.Root, "scripts", "install.sh"), [], workingDirectory: RepoPaths.Root,
            environment: new Dictionary<string, string> { ["SEVSHIM_SKIP_DEPS"] = "1", ["SEVSHIM_SKIP_BUILD"] = "1", ["SEVSHIM_SKIP_FIRMWARE"] = "1" }))
        {
            install.CloseStdin();
            var result = await install.WaitAsync(InstallTimeout);
            Assert.True(result.ExitCode == 0, "scripts/install.sh failed:\n" + result.Describe());
            Assert.Contains("the container ran in its own VM", result.Stdout, StringComparison.Ordinal);
        }

        Assert.Equal(File.ReadAllBytes(RepoPaths.ShimBinary), File.ReadAllBytes(CriContainerd.InstalledShim));
        Assert.Equal(
            File.ReadAllText(Path.Combine(RepoPaths.Root, "config", "config.toml")),
            File.ReadAllText(CriContainerd.InstalledConfig));

        // Step 1, the host check: 0 when SEV pods can run, else 1 with a fix per missing item.
        CtrResult check;
        await using (var command = CtrCommand.Start(CriContainerd.InstalledShim, ["check"]))
        {
            command.CloseStdin();
            check = await command.WaitAsync(TimeSpan.FromMinutes(2));
        }

        Assert.True(check.ExitCode is 0 or 1, "check exited neither 0 nor 1:\n" + check.Describe());
        var sevReady = check.ExitCode == 0;
        if (!sevReady)
        {
            Assert.Contains("SEV pods:     CANNOT run here", check.Stdout, StringComparison.Ordinal);
            Assert.Contains("fix: ", check.Stdout, StringComparison.Ordinal);
        }

        output.WriteLine($"check exited {check.ExitCode}");

        // Step 2 and the RuntimeClass: containerd with the snippet as shipped, a pod with the
        // class's handler and overhead.
        await using var c = await CriContainerd.StartInstalledAsync(default);
        var handler = RuntimeClassFile.Load().Handler;
        if (!sevReady)
        {
            var refused = await Assert.ThrowsAsync<RpcException>(
                () => c.RunPodSandboxAsync(CriPodSpec.Pod(c, "readme-refused", "readme-refused"), handler, default));
            Assert.True(
                refused.Status.Detail.Contains(Refusal, StringComparison.Ordinal) && refused.Status.Detail.Contains("cpu.sev", StringComparison.Ordinal),
                $"RunPodSandbox on a host without SEV was refused, but not with the README's words: {refused.Status}");

            // The README's opt-out for a node without SEV, in the installed file.
            var text = File.ReadAllText(CriContainerd.InstalledConfig);
            text = SetKey(text, "confidential", "mode", "\"none\"");
            text = SetKey(text, "rootfs", "mode", "\"shared\"");
            File.WriteAllText(CriContainerd.InstalledConfig, text);
        }

        var pod = await CriPod.RunAsync(c, handler, CriPodSpec.Pod(c, "readme", "readme"), default);
        await CriDiagnostics.RunAsync(pod, async () =>
        {
            var id = await pod.StartContainerAsync(CriPodSpec.Shell("main", "uname -r; exec sleep 2147483647"), default);
            var log = await pod.WaitForLogAsync("main", " stdout F ", TimeSpan.FromSeconds(60));
            var guestKernel = log.Split('\n').First(l => l.Contains(" stdout F ", StringComparison.Ordinal)).Split(" stdout F ")[1].Trim();
            Assert.NotEqual(File.ReadAllText("/proc/sys/kernel/osrelease").Trim(), guestKernel);
            Assert.Equal(ContainerState.ContainerRunning, (await pod.StatusAsync(id, default)).State);

            // The pod's shim is the installed binary, found by containerd on PATH.
            var shims = CtrHost.ProcessesWith(pod.Id).Where(p => p.CommandLine.Contains("containerd-shim-sevshim-v2", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(shims);
            Assert.All(shims, s => Assert.Equal(CriContainerd.InstalledShim, new FileInfo($"/proc/{s.Pid}/exe").LinkTarget));

            await c.Runtime.StopPodSandboxAsync(new StopPodSandboxRequest { PodSandboxId = pod.Id }, deadline: DateTime.UtcNow.AddMinutes(2));
            await c.Runtime.RemovePodSandboxAsync(new RemovePodSandboxRequest { PodSandboxId = pod.Id }, deadline: DateTime.UtcNow.AddMinutes(2));
            var leaks = new List<string>();
            await CtrWait.UntilAsync(async () => (leaks = await CriLeaks.OfAsync(pod, default)).Count == 0, Settle);
            Assert.True(leaks.Count == 0, $"after RemovePodSandbox of {pod.Id} these remain:\n" + string.Join('\n', leaks));
        });
    }

    /// <summary>The README's "## Kubernetes" section, up to the next "## " heading.</summary>
    private static string KubernetesSection()
    {
        var readme = File.ReadAllText(Path.Combine(RepoPaths.Root, "README.md"));
        var start = readme.IndexOf("\n## Kubernetes\n", StringComparison.Ordinal);
        Assert.True(start >= 0, "README.md has no '## Kubernetes' section");
        var end = readme.IndexOf("\n## ", start + 1, StringComparison.Ordinal);
        return end < 0 ? readme[start..] : readme[start..end];
    }

    /// <summary>
    /// <paramref name="text"/> with the first `key = ...` line of table [<paramref name="table"/>]
    /// set to <paramref name="value"/>, as an operator edits the file; fails when there is none.
    /// </summary>
    private static string SetKey(string text, string table, string key, string value)
    {
        var lines = text.Split('\n');
        var inTable = false;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.StartsWith('['))
            {
                inTable = line == $"[{table}]";
            }
            else if (inTable && KeyLine().Match(line) is { Success: true } m && m.Groups[1].Value == key)
            {
                lines[i] = $"{key} = {value}";
                return string.Join('\n', lines);
            }
        }

        throw new InvalidOperationException($"{CriContainerd.InstalledConfig} has no {key} in [{table}]");
    }

    [GeneratedRegex(@"^([A-Za-z0-9_]+)\s*=")]
    private static partial Regex KeyLine();
}
