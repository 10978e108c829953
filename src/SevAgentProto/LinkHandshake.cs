using System.Text;

namespace SevAgentProto;

/// <summary>
/// Start-of-connection marker for the virtio-serial link. A virtio-serial port has no
/// connection boundaries: when the host disconnects and reconnects quickly, the guest may never
/// see the hang-up (ARCHITECTURE.md "Facts measured"), so bytes of the old HTTP/2 connection
/// could reach the new one. The host therefore opens each connection with the line
/// "SEVAGENT-SYNC &lt;nonce&gt;\n"; the agent drops what it had, opens a fresh HTTP/2 connection and
/// answers "SEVAGENT-READY &lt;nonce&gt;\n"; the host discards everything before that answer.
/// An HTTP/2 client preface instead of the sync line is accepted too (no handshake).
/// </summary>
public static class LinkHandshake
{
    /// <summary>The host's line, before the nonce.</summary>
    public const string SyncPrefix = "SEVAGENT-SYNC ";

    /// <summary>The agent's answer, before the nonce.</summary>
    public const string ReadyPrefix = "SEVAGENT-READY ";

    /// <summary>The HTTP/2 client connection preface (RFC 9113 section 3.4).</summary>
    public const string Http2Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

    /// <summary>Longest line accepted (prefix, 32 hex digits, newline).</summary>
    public const int MaxLine = 64;

    /// <summary>What <see cref="Scan"/> found.</summary>
    public enum Start
    {
        /// <summary>Nothing yet: keep the returned tail and read more.</summary>
        None,

        /// <summary>A sync line; the connection's bytes begin after it.</summary>
        Sync,

        /// <summary>An HTTP/2 preface; the connection's bytes begin with it.</summary>
        Preface,
    }

    /// <summary>The sync line for <paramref name="nonce"/>.</summary>
    public static byte[] SyncLine(string nonce) => Encoding.ASCII.GetBytes(SyncPrefix + nonce + "\n");

    /// <summary>The ready line for <paramref name="nonce"/>.</summary>
    public static byte[] ReadyLine(string nonce) => Encoding.ASCII.GetBytes(ReadyPrefix + nonce + "\n");

    /// <summary>
    /// Looks for the start of a host connection in <paramref name="data"/> (bytes received while
    /// waiting for one; anything before it is stale). Returns the kind, the nonce for a sync line,
    /// and the offset where the new connection's bytes begin (for None: the offset from which
    /// bytes must be kept because they may begin a marker).
    /// </summary>
    public static (Start Kind, string Nonce, int Offset) Scan(ReadOnlySpan<byte> data)
    {
        var sync = data.IndexOf("SEVAGENT-SYNC "u8);
        var preface = data.IndexOf("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8);
        if (sync >= 0 && (preface < 0 || sync < preface))
        {
            var rest = data[(sync + SyncPrefix.Length)..];
            var newline = rest.IndexOf((byte)'\n');
            if (newline < 0)
            {
                return rest.Length > MaxLine ? (Start.None, string.Empty, sync + SyncPrefix.Length) : (Start.None, string.Empty, sync);
            }

            var nonce = Encoding.ASCII.GetString(rest[..newline]);
            return (Start.Sync, nonce, sync + SyncPrefix.Length + newline + 1);
        }

        if (preface >= 0)
        {
            return (Start.Preface, string.Empty, preface);
        }

        // Keep a tail long enough to hold the beginning of either marker.
        var keep = Math.Max(0, data.Length - Http2Preface.Length);
        return (Start.None, string.Empty, keep);
    }
}
