using Microsoft.Extensions.Logging.Abstractions;
using SevAgent.Containers;
using SevAgent.Errors;
using SevAgent.Guest;
using SevAgent.Hosting;

namespace SevAgent.Tests.Unit;

/// <summary>A guest mount's file name inside a SCSI disk comes from the untrusted host: checked before anything is mounted.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ContainerSourcesTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sevagent-sources-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Theory]
    [InlineData("../../etc/shadow")]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData(".hidden")]
    public async Task A_scsi_file_that_is_not_a_plain_name_is_refused_and_nothing_is_mounted(string file)
    {
        var options = AgentOptions.Parse(["--state-dir", _dir.FullName]);
        var modules = new ModuleLoadGate(Path.Combine(_dir.FullName, "none"), Path.Combine(_dir.FullName, "none"), _dir.FullName, TimeSpan.FromSeconds(1), NullLogger<ModuleLoadGate>.Instance);
        using var copies = new VolumeCopies(options, NullLogger<VolumeCopies>.Instance);
        using var mounter = new RootfsMounter(options, modules, copies, NullLogger<RootfsMounter>.Instance);
        var container = new Container("c1", Path.Combine(_dir.FullName, "c1"), "/sevagent/c1", new ContainerProcess("c1", string.Empty, false));
        var mounts = new[] { new GuestMountSpec("/model.bin", GuestMountKind.Scsi, file, Scsi: new ScsiDisk(3, 0, "ext4", "ro")) };

        var error = await Assert.ThrowsAsync<AgentException>(() => new ContainerSources(mounter).PrepareMountsAsync(mounts, container, CancellationToken.None));

        Assert.Equal(AgentErrorKind.InvalidArgument, error.Kind);
        Assert.Contains("scsi_file", error.Message, StringComparison.Ordinal);
        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.Empty(container.Mounts);
    }
}
