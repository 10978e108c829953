using System.Diagnostics;
using Sev.Check;

namespace Sev.Tests.Check;

/// <summary>The real probe stays within its one budget when the "QEMU" never answers.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LinuxHostProbeBudgetTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("fake-qemu-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task A_hanging_binary_is_given_up_within_the_timeout_with_the_reason()
    {
        // A fake qemu-system-x86_64: answers neither --version nor QMP.
        var fake = Path.Combine(_dir.FullName, "fake-qemu-system-x86_64");
        await File.WriteAllTextAsync(fake, "#!/bin/sh\nexec sleep 60\n");
        File.SetUnixFileMode(fake, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var clock = Stopwatch.StartNew();

        var result = await new LinuxHostProbe(TimeSpan.FromSeconds(2)).ProbeQemuAsync(fake, useKvm: true, CancellationToken.None);

        // 2 s for everything: --version, the kvm probe and the tcg retry share it (plus reaping).
        Assert.InRange(clock.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(8));
        Assert.Null(result.Version);
        Assert.Contains("--version did not finish", result.VersionError, StringComparison.Ordinal);
        Assert.Null(result.Objects);
        Assert.StartsWith("-accel tcg: ", result.ObjectsError, StringComparison.Ordinal);
        Assert.Contains("did not answer on QMP", result.CapabilitiesError, StringComparison.Ordinal);
        Assert.All(QemuLaunchModes.Decide(result, fake), m => Assert.False(m.CanLaunch));
    }
}
