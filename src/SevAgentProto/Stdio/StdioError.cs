using System.Text;

namespace SevAgentProto.Stdio;

/// <summary>The payload of an Error frame: the code (1 byte) and a UTF-8 message naming the problem.</summary>
/// <param name="Code">The kind of failure.</param>
/// <param name="Message">What went wrong, for the operator.</param>
public sealed record StdioError(StdioErrorCode Code, string Message)
{
    /// <summary>Longest message sent (the rest is cut).</summary>
    public const int MaxMessageBytes = 4096;

    /// <summary>The payload bytes.</summary>
    public byte[] Encode()
    {
        var text = Encoding.UTF8.GetBytes(Message);
        var payload = new byte[1 + Math.Min(text.Length, MaxMessageBytes)];
        payload[0] = (byte)Code;
        text.AsSpan(0, payload.Length - 1).CopyTo(payload.AsSpan(1));
        return payload;
    }

    /// <summary>Reads a payload (an unknown code reads as Internal; bad UTF-8 is replaced).</summary>
    public static StdioError Decode(ReadOnlySpan<byte> payload) =>
        payload.Length == 0
            ? new StdioError(StdioErrorCode.Internal, "the guest ended the stream with an empty error")
            : new StdioError(
                Enum.IsDefined((StdioErrorCode)payload[0]) ? (StdioErrorCode)payload[0] : StdioErrorCode.Internal,
                Encoding.UTF8.GetString(payload[1..]));
}
