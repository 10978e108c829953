using SevShim.Rootfs;

namespace SevShim.IntegrationTests.Vm;

/// <summary>
/// A pod-VM test's scratch folder under /tmp. Dispose deletes it only when nothing is mounted
/// below it: deleting through a live bind mount would delete the host files behind it (the
/// test then fails on its own mount assertions, and the folder is left for a look).
/// </summary>
internal sealed class VmScratch(string prefix) : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory(prefix);

    public string FullName => _dir.FullName;

    public void Dispose()
    {
        if (MountTable.MountPointsUnder(_dir.FullName).Count == 0)
        {
            _dir.Delete(recursive: true);
        }
    }
}
