using SevShim.IntegrationTests.Faults;
using SevShim.IntegrationTests.Support;
using TestSupport;

namespace SevShim.IntegrationTests.Errors;

/// <summary>
/// The shim's errors as a `ctr` user reads them (issue 14 item 4), on every containerd of the
/// matrix: the shim's message intact and, on 1.x, the code's name containerd's errdefs appends
/// ("...: not found"); 2.x's ctr prints the message alone, so there the message is asserted. A bad
/// configuration (invalid argument inside the shim) is caught by the start verb, whose failure
/// containerd always reports as unknown with start's message.
/// Failed precondition (SEV asked for on a host without it) is asserted by
/// ContainerdInteropTests; the other kinds are asserted through the real ttrpc server in
/// SevShim.Tests (ShimErrorsTests).
/// </summary>
[Collection(CtrCollection.Name)]
public sealed class CtrErrorTests(CtrFixture fixture)
{
    private static readonly TimeSpan Short = TimeSpan.FromMinutes(2);

    [E2ETheory(Requirement.Root, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage)]
    [ContainerdRow("1.6")]
    [ContainerdRow("2.1")]
    public async Task A_bad_config_not_found_and_already_exists_reach_ctr_with_the_shims_message(string containerd)
    {
        var build = ContainerdRowAttribute.Ensure(containerd, Requirement.Root, Requirement.Qemu, Requirement.ShimBinary, Requirement.GuestImage);
        var c = await fixture.GetAsync(build);
        var id = c.NewId("errors");
        var bad = c.NewId("badconfig");
        try
        {
            await CtrDiagnostics.RunAsync(c, [id, bad], async () =>
            {
                // A configuration the shim cannot use is refused by the start verb, before any
                // ttrpc call: containerd reports start's stderr as "failed to start shim: start
                // failed: <stderr>: exit status 1" with the code unknown whatever the shim does
                // (SHIM-PROTOCOL 4.2), so the message must carry it all: the file, the key, the range.
                var config = Path.Combine(c.Dir, "bad-vcpus.toml");
                await File.WriteAllTextAsync(config, "[vm]\nvcpus = 0\n");
                var refused = await c.CtrAsync(Short, [.. c.RunArgs(CtrRuntime.Sevshim, bad, ["--runtime-config-path", config], "true")]);
                Assert.True(refused.ExitCode != 0, "ctr run with vm.vcpus = 0 succeeded: " + refused.Describe());
                Assert.Contains(config, refused.Stderr, StringComparison.Ordinal);
                Assert.Contains("key 'vm.vcpus' = 0: expected an integer from 1 to 255", refused.Stderr, StringComparison.Ordinal);
                Assert.DoesNotContain(CtrPods.ShimProcesses(c), p => p.CommandLine.Contains(bad, StringComparison.Ordinal));

                await FaultScenarios.RunSleeperAsync(c, CtrRuntime.Sevshim, id);

                // Not found: an exec id the task never had.
                var kill = await c.CtrAsync(Short, "task", "kill", "--exec-id", "nope", id);
                Assert.True(kill.ExitCode != 0, kill.Describe());
                Assert.Contains($"sevshim: exec nope of task {id} not found", kill.Stderr, StringComparison.Ordinal);
                AssertCode(build, kill, "not found");

                // Already exists: a second exec with the id of one still running.
                var first = await c.CtrAsync(Short, "task", "exec", "-d", "--fifo-dir", c.FifoDir, "--exec-id", "twice", id, "sleep", "100000");
                Assert.True(first.ExitCode == 0, first.Describe());
                var second = await c.CtrAsync(Short, "task", "exec", "-d", "--fifo-dir", c.FifoDir, "--exec-id", "twice", id, "true");
                Assert.True(second.ExitCode != 0, second.Describe());
                Assert.Contains($"sevshim: exec twice already exists in task {id}", second.Stderr, StringComparison.Ordinal);
                AssertCode(build, second, "already exists");
            });
        }
        finally
        {
            await c.RemoveContainerAsync(id);
            await c.RemoveContainerAsync(bad);
        }
    }

    // containerd 1.x's errdefs.FromGRPC keeps the code's name after the message; 2.x's does not.
    private static void AssertCode(ContainerdBuild build, CtrResult result, string codeName)
    {
        if (!build.IsV2)
        {
            Assert.True(result.Stderr.Contains(": " + codeName, StringComparison.Ordinal), $"no '{codeName}' in: " + result.Describe());
        }
    }
}
