using System.Runtime.InteropServices;

namespace SevAgent.Native;

/// <summary>
/// Parses the control buffer of recvmsg(2) for SCM_RIGHTS file descriptors (cmsg(3), x86-64:
/// struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } followed by the data,
/// each header aligned to 8 bytes). crun sends the pty master this way to --console-socket.
/// </summary>
internal static class ScmRights
{
    public const int SolSocket = 1;
    public const int ScmRightsType = 1;
    public const int HeaderSize = 16;

    /// <summary>Every fd carried by SCM_RIGHTS messages in <paramref name="control"/>.</summary>
    public static List<int> ParseFds(ReadOnlySpan<byte> control)
    {
        var fds = new List<int>();
        var offset = 0;
        while (offset + HeaderSize <= control.Length)
        {
            var length = (long)MemoryMarshal.Read<ulong>(control[offset..]);
            var level = MemoryMarshal.Read<int>(control[(offset + 8)..]);
            var type = MemoryMarshal.Read<int>(control[(offset + 12)..]);
            if (length < HeaderSize || offset + length > control.Length)
            {
                break;
            }

            if (level == SolSocket && type == ScmRightsType)
            {
                var data = control.Slice(offset + HeaderSize, (int)length - HeaderSize);
                for (var i = 0; i + 4 <= data.Length; i += 4)
                {
                    fds.Add(MemoryMarshal.Read<int>(data[i..]));
                }
            }

            offset += (int)((length + 7) & ~7L);
        }

        return fds;
    }

    /// <summary>Writes one SCM_RIGHTS message carrying <paramref name="fds"/> (for tests and symmetry).</summary>
    public static int WriteFds(Span<byte> control, ReadOnlySpan<int> fds)
    {
        var length = HeaderSize + (4 * fds.Length);
        MemoryMarshal.Write(control, (ulong)length);
        MemoryMarshal.Write(control[8..], SolSocket);
        MemoryMarshal.Write(control[12..], ScmRightsType);
        for (var i = 0; i < fds.Length; i++)
        {
            MemoryMarshal.Write(control[(HeaderSize + (4 * i))..], fds[i]);
        }

        return (length + 7) & ~7;
    }
}
