using SevAgent.Containers;
using SevRuntime.Posix;

namespace SevAgent.Tests.Unit;

/// <summary>A SCSI disk's options as the mount's flags and data: "ro" is how the host asks for a read-only volume image.</summary>
public sealed class ScsiMountOptionsTests
{
    [Theory]
    [InlineData("", 0UL, null)]
    [InlineData("ro", Posix.MS_RDONLY, null)]
    [InlineData("rw", 0UL, null)]
    [InlineData("data=ordered,ro", Posix.MS_RDONLY, "data=ordered")]
    [InlineData("errors=remount-ro,rw", 0UL, "errors=remount-ro")]
    public void Ro_and_rw_are_flags_and_the_rest_is_the_file_systems_data(string options, ulong flags, string? data)
    {
        Assert.Equal((flags, data), RootfsMounter.MountFlags(options));
    }
}
