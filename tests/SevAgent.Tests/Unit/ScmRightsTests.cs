using System.Runtime.InteropServices;
using SevAgent.Native;

namespace SevAgent.Tests.Unit;

public sealed class ScmRightsTests
{
    [Fact]
    public void Parses_the_fds_of_an_scm_rights_message()
    {
        var control = new byte[64];
        var used = ScmRights.WriteFds(control, [7, 9]);

        Assert.Equal(24, used);
        Assert.Equal([7, 9], ScmRights.ParseFds(control.AsSpan(0, used)));
    }

    [Fact]
    public void Skips_other_control_messages()
    {
        var control = new byte[64];
        // SCM_CREDENTIALS (type 2) first: 16-byte header + 12-byte ucred, padded to 32.
        MemoryMarshal.Write(control, 28UL);
        MemoryMarshal.Write(control.AsSpan(8), 1);
        MemoryMarshal.Write(control.AsSpan(12), 2);
        var used = 32 + ScmRights.WriteFds(control.AsSpan(32), [5]);

        Assert.Equal([5], ScmRights.ParseFds(control.AsSpan(0, used)));
    }

    [Fact]
    public void Stops_at_a_truncated_header()
    {
        var control = new byte[16];
        MemoryMarshal.Write(control, 200UL);
        MemoryMarshal.Write(control.AsSpan(8), 1);
        MemoryMarshal.Write(control.AsSpan(12), 1);

        Assert.Empty(ScmRights.ParseFds(control));
    }
}
