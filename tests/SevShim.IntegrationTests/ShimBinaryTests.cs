using SevShim.Protos.Containerd.TaskV2;
using TestSupport;

namespace SevShim.IntegrationTests;

/// <summary>
/// The published binary's start and delete against a hand-made bundle (no containerd): start's
/// output is the address alone, the daemon is detached on a 0600 socket, a second start of the
/// same pod reuses it, and delete answers one DeleteResponse.
/// </summary>
public sealed class ShimBinaryTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sevbin-").FullName;

    // xUnit 2 disposes test classes through IDisposable only (not IAsyncDisposable).
    public void Dispose()
    {
        foreach (var pid in ShimProcesses.Find(RepoPaths.ShimBinary, _dir))
        {
            _ = Signals.Kill(pid, Signals.SIGKILL);
        }

        Directory.Delete(_dir, true);
    }

    [E2EFact(Requirement.ShimBinary)]
    public async Task StartPrintsOnlyTheAddressSpawnsOneDaemonPerPodAndDeleteAnswers()
    {
        Prerequisites.Ensure(Requirement.ShimBinary);
        var c1 = Bundle("c1", """{"ociVersion":"1.0.2","annotations":{"io.kubernetes.cri.sandbox-id":"pod1"}}""");
        var c2 = Bundle("c2", """{"ociVersion":"1.0.2","annotations":{"io.kubernetes.cri.sandbox-id":"pod1"}}""");
        var env = new Dictionary<string, string> { ["SEVSHIM_SOCKET_DIR"] = Path.Combine(_dir, "s") };
        var containerdAddress = Path.Combine(_dir, "c.sock");

        var first = await Shim(c1, env, "-namespace", "ns", "-address", containerdAddress, "-publish-binary", "/usr/bin/containerd", "-id", "c1", "start");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(string.Empty, first.Stderr);
        var address = first.StdoutText;
        Assert.StartsWith("unix://" + Path.Combine(_dir, "s") + "/", address, StringComparison.Ordinal);
        Assert.Equal(address, File.ReadAllText(Path.Combine(c1, "address")));
        var socket = address["unix://".Length..];
        Assert.True(File.Exists(socket));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, OperatingSystem.IsLinux() ? File.GetUnixFileMode(socket) : UnixFileMode.None);
        Assert.Single(ShimProcesses.Find(RepoPaths.ShimBinary, containerdAddress));

        var second = await Shim(c2, env, "-namespace", "ns", "-address", containerdAddress, "-publish-binary", "/usr/bin/containerd", "-id", "c2", "start");
        Assert.Equal(address, second.StdoutText);
        Assert.Single(ShimProcesses.Find(RepoPaths.ShimBinary, containerdAddress));

        var delete = await Shim(c2, env, "-namespace", "ns", "-address", containerdAddress, "-publish-binary", "/usr/bin/containerd", "-id", "c2", "-bundle", c2, "delete");
        Assert.True(delete.ExitCode == 0, delete.ToString());
        var response = DeleteResponse.Parser.ParseFrom(delete.Stdout);
        Assert.Equal(137u, response.ExitStatus);
        Assert.True(File.Exists(socket), "delete of one container must not remove the live pod daemon's socket");
    }

    [E2EFact(Requirement.ShimBinary)]
    public async Task StartWithAMalformedSpecFailsNamingTheFile()
    {
        Prerequisites.Ensure(Requirement.ShimBinary);
        var c1 = Bundle("c1", "{ not json");
        var result = await Shim(c1, new Dictionary<string, string> { ["SEVSHIM_SOCKET_DIR"] = Path.Combine(_dir, "s") },
            "-namespace", "ns", "-address", "/x.sock", "-id", "c1", "start");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(Path.Combine(c1, "config.json"), result.Stderr, StringComparison.Ordinal);
        Assert.Empty(result.Stdout);
    }

    private string Bundle(string id, string spec)
    {
        var bundle = Directory.CreateDirectory(Path.Combine(_dir, "ns", id)).FullName;
        File.WriteAllText(Path.Combine(bundle, "config.json"), spec);
        return bundle;
    }

    private static Task<ProcessResult> Shim(string cwd, Dictionary<string, string> env, params string[] args) =>
        ProcessRunner.RunAsync(RepoPaths.ShimBinary, args, TimeSpan.FromMinutes(1), cwd, env, stdin: []);
}
