using System.Globalization;

namespace SevAgent.Network;

/// <summary>
/// Which localhost ports of the guest accept TCP connections, read from the kernel's socket
/// tables (proc(5) /proc/net/tcp and tcp6: state 0A is LISTEN; the local address is hex, each
/// 32-bit word in host byte order, the port in big-endian hex). A socket listening on a wildcard
/// or loopback address answers localhost:port; one bound to the pod IP alone does not, as with
/// runc. An IPv6 wildcard socket also answers IPv4 unless it set IPV6_V6ONLY, which the table
/// does not show: it counts for both (Linux's default, net.ipv6.bindv6only=0), and a forward
/// that then finds nothing is refused by the guest. Polled, because the kernel announces no
/// listen(2): once a second, one read of two small files (Lima's guest agent polls the same
/// tables every 3 s).
/// </summary>
internal sealed class GuestListeners
{
    private const string ListenState = "0A";
    private const string V4Any = "00000000";
    private const string V4Loopback = "0100007F";
    private const string V6Any = "00000000000000000000000000000000";
    private const string V6Loopback = "00000000000000000000000001000000";
    private const string V6MappedPrefix = "0000000000000000FFFF0000";

    private readonly string _procNet;

    public GuestListeners(string procNet = "/proc/net") => _procNet = procNet;

    /// <summary>How often the tables are read.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Hands the set (ordered by port, then IPv4 before IPv6) to <paramref name="publish"/> at once
    /// and after each change, until <paramref name="cancellationToken"/> ends the watch.
    /// </summary>
    public async Task WatchAsync(Func<IReadOnlyList<(uint Port, bool Ipv6)>, CancellationToken, Task> publish, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publish);
        IReadOnlySet<(uint Port, bool Ipv6)>? last = null;
        using var timer = new PeriodicTimer(Interval);
        try
        {
            do
            {
                var now = Read();
                if (last is null || !now.SetEquals(last))
                {
                    await publish([.. now.Order()], cancellationToken).ConfigureAwait(false);
                    last = now;
                }
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The shim ended the watch (the pod is stopping).
        }
    }

    /// <summary>The current set; a table that cannot be read (IPv6 disabled: no tcp6) counts as empty.</summary>
    public HashSet<(uint Port, bool Ipv6)> Read()
    {
        var set = new HashSet<(uint, bool)>();
        Parse(TryRead("tcp"), v6Table: false, set);
        Parse(TryRead("tcp6"), v6Table: true, set);
        return set;
    }

    /// <summary>Adds the localhost ports that a table's listeners answer to <paramref name="into"/>.</summary>
    public static void Parse(string table, bool v6Table, ISet<(uint Port, bool Ipv6)> into)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(into);
        foreach (var line in table.Split('\n'))
        {
            // "  sl  local_address rem_address   st ...": the header has no colon in field 1.
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 4 || !fields[3].Equals(ListenState, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            var local = fields[1].Split(':');
            if (local.Length != 2 || !uint.TryParse(local[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var port) || port is 0 or > 65535)
            {
                continue;
            }

            var address = local[0].ToUpperInvariant();
            switch (v6Table, address)
            {
                case (false, V4Any or V4Loopback):
                    into.Add((port, false));
                    break;
                case (true, V6Any):
                    into.Add((port, true));
                    into.Add((port, false));
                    break;
                case (true, V6Loopback):
                    into.Add((port, true));
                    break;
                case (true, _) when address.Length == 32 && address.StartsWith(V6MappedPrefix, StringComparison.Ordinal)
                    && address[24..] is V4Any or V4Loopback:
                    into.Add((port, false));
                    break;
            }
        }
    }

    private string TryRead(string table)
    {
        try
        {
            return File.ReadAllText(Path.Combine(_procNet, table));
        }
        catch (IOException)
        {
            return string.Empty;
        }
        catch (UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}
