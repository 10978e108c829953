using SevShim.IntegrationTests.Support;
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
        foreach (var (pid, _) in CtrPods.ShimProcesses(_dir))
        {
            CtrHost.Kill(pid);
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

        var (first, _) = await Shim(c1, env, "-namespace", "ns", "-address", containerdAddress, "-publish-binary", "/usr/bin/containerd", "-id", "c1", "start");
        Assert.True(first.ExitCode == 0, first.Describe());
        Assert.Equal(string.Empty, first.Stderr);
        var address = first.Stdout;
        Assert.StartsWith("unix://" + Path.Combine(_dir, "s") + "/", address, StringComparison.Ordinal);
        Assert.Equal(address, File.ReadAllText(Path.Combine(c1, "address")));
        var socket = address["unix://".Length..];
        Assert.True(File.Exists(socket));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, OperatingSystem.IsLinux() ? File.GetUnixFileMode(socket) : UnixFileMode.None);
        Assert.Single(CtrPods.ShimProcesses(containerdAddress));

        var (second, _) = await Shim(c2, env, "-namespace", "ns", "-address", containerdAddress, "-publish-binary", "/usr/bin/containerd", "-id", "c2", "start");
        Assert.Equal(address, second.Stdout);
        Assert.Single(CtrPods.ShimProcesses(containerdAddress));

        var (delete, deleteStdout) = await Shim(c2, env, "-namespace", "ns", "-address", containerdAddress, "-publish-binary", "/usr/bin/containerd", "-id", "c2", "-bundle", c2, "delete");
        Assert.True(delete.ExitCode == 0, delete.Describe());
        var response = DeleteResponse.Parser.ParseFrom(deleteStdout);
        Assert.Equal(137u, response.ExitStatus);
        Assert.True(File.Exists(socket), "delete of one container must not remove the live pod daemon's socket");
    }

    [E2EFact(Requirement.ShimBinary)]
    public async Task StartWithAMalformedSpecFailsNamingTheFile()
    {
        Prerequisites.Ensure(Requirement.ShimBinary);
        var c1 = Bundle("c1", "{ not json");
        var (result, _) = await Shim(c1, new Dictionary<string, string> { ["SEVSHIM_SOCKET_DIR"] = Path.Combine(_dir, "s") },
            "-namespace", "ns", "-address", "/x.sock", "-id", "c1", "start");
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains(Path.Combine(c1, "config.json"), result.Stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, result.Stdout);
    }

    private string Bundle(string id, string spec)
    {
        var bundle = Directory.CreateDirectory(Path.Combine(_dir, "ns", id)).FullName;
        File.WriteAllText(Path.Combine(bundle, "config.json"), spec);
        return bundle;
    }

    /// <summary>Runs the shim binary in <paramref name="cwd"/> with stdin closed; stdout also as bytes (delete answers protobuf).</summary>
    private static async Task<(CtrResult Result, byte[] Stdout)> Shim(string cwd, Dictionary<string, string> env, params string[] args)
    {
        await using var shim = CtrCommand.Start(RepoPaths.ShimBinary, args, workingDirectory: cwd, environment: env);
        shim.CloseStdin();
        var result = await shim.WaitAsync(TimeSpan.FromMinutes(1));
        return (result, shim.StdoutBytes);
    }
}
