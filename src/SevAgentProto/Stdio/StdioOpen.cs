using System.Buffers.Binary;
using System.Text;

namespace SevAgentProto.Stdio;

/// <summary>
/// The payload of OpenOutput and OpenInput: kind (1 byte; 0 for input), the initial credit the
/// host grants for output (u32; 0 for input), then the container id and the exec id, each a u16
/// length and UTF-8 bytes.
/// </summary>
/// <param name="Kind">Which output (OpenOutput only).</param>
/// <param name="Credit">Output bytes the guest may send before the host's first Credit frame.</param>
/// <param name="ContainerId">The container.</param>
/// <param name="ExecId">The exec, empty for the container's init process.</param>
public sealed record StdioOpen(StdioOutputKind? Kind, uint Credit, string ContainerId, string ExecId)
{
    /// <summary>The payload bytes.</summary>
    public byte[] Encode()
    {
        var container = Encoding.UTF8.GetBytes(ContainerId);
        var exec = Encoding.UTF8.GetBytes(ExecId);
        if (container.Length > ushort.MaxValue || exec.Length > ushort.MaxValue)
        {
            throw new ArgumentException("a container or exec id longer than 65535 bytes cannot be named on the stdio link");
        }

        var payload = new byte[1 + 4 + 2 + container.Length + 2 + exec.Length];
        payload[0] = (byte)(Kind ?? 0);
        BinaryPrimitives.WriteUInt32BigEndian(payload.AsSpan(1), Credit);
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(5), (ushort)container.Length);
        container.CopyTo(payload.AsSpan(7));
        BinaryPrimitives.WriteUInt16BigEndian(payload.AsSpan(7 + container.Length), (ushort)exec.Length);
        exec.CopyTo(payload.AsSpan(9 + container.Length));
        return payload;
    }

    /// <summary>Reads a payload; null when it is malformed.</summary>
    public static StdioOpen? TryDecode(ReadOnlySpan<byte> payload, bool output)
    {
        if (payload.Length < 9)
        {
            return null;
        }

        StdioOutputKind? kind = payload[0] switch
        {
            (byte)StdioOutputKind.Stdout when output => StdioOutputKind.Stdout,
            (byte)StdioOutputKind.Stderr when output => StdioOutputKind.Stderr,
            0 when !output => null,
            _ => (StdioOutputKind)255,
        };
        if (kind == (StdioOutputKind)255)
        {
            return null;
        }

        var credit = BinaryPrimitives.ReadUInt32BigEndian(payload[1..]);
        var containerLength = BinaryPrimitives.ReadUInt16BigEndian(payload[5..]);
        if (payload.Length < 9 + containerLength)
        {
            return null;
        }

        var execLength = BinaryPrimitives.ReadUInt16BigEndian(payload[(7 + containerLength)..]);
        if (payload.Length != 9 + containerLength + execLength)
        {
            return null;
        }

        try
        {
            var strict = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
            return new StdioOpen(kind, credit, strict.GetString(payload.Slice(7, containerLength)), strict.GetString(payload.Slice(9 + containerLength, execLength)));
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
    }
}
