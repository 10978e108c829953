using SevAgent.Network;

namespace SevAgent.Tests.Unit;

/// <summary>
/// Reading the kernel's TCP tables (proc(5) /proc/net/tcp, tcp6) into the localhost ports a
/// port-forward reaches; the lines are the kernel's format, as /proc shows them.
/// </summary>
public sealed class GuestListenersTests
{
    private const string Tcp =
        "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        + "   0: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0\n"
        + "   1: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0000000000000000 100 0 0 10 0\n"
        + "   2: 0500FA0A:1F92 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1003 1 0000000000000000 100 0 0 10 0\n"
        + "   3: 0100007F:1F93 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 1004 1 0000000000000000 20 4 30 10 -1\n"
        + "   4: 0200007F:1F94 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1005 1 0000000000000000 100 0 0 10 0\n";

    private const string Tcp6 =
        "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        + "   0: 00000000000000000000000000000000:0050 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000 100 0 0 10 0\n"
        + "   1: 00000000000000000000000001000000:0051 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2002 1 0000000000000000 100 0 0 10 0\n"
        + "   2: 0000000000000000FFFF00000100007F:0052 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2003 1 0000000000000000 100 0 0 10 0\n"
        + "   3: 000080FE00000000FF1F2A5BFEA3C6A2:0053 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2004 1 0000000000000000 100 0 0 10 0\n";

    [Fact]
    public void Wildcard_and_loopback_listeners_count_other_addresses_and_states_do_not()
    {
        var set = new HashSet<(uint Port, bool Ipv6)>();
        GuestListeners.Parse(Tcp, v6Table: false, set);
        Assert.Equal([(8080u, false), (8081u, false)], set.Order());
    }

    [Fact]
    public void An_ipv6_wildcard_answers_both_families_loopback_and_mapped_one()
    {
        var set = new HashSet<(uint Port, bool Ipv6)>();
        GuestListeners.Parse(Tcp6, v6Table: true, set);
        Assert.Equal([(80u, false), (80u, true), (81u, true), (82u, false)], set.Order());
    }

    [Theory]
    [InlineData("")]
    [InlineData("garbage\n")]
    [InlineData("   0: 00000000:ZZZZ 00000000:0000 0A\n")]
    [InlineData("   0: 00000000:0000 00000000:0000 0A\n")]
    [InlineData("   0: 00000000 00000000:0000 0A\n")]
    [InlineData("   0: 00000000:1FFFFF 00000000:0000 0A\n")]
    public void Malformed_or_empty_lines_are_skipped(string table)
    {
        var set = new HashSet<(uint Port, bool Ipv6)>();
        GuestListeners.Parse(table, v6Table: false, set);
        Assert.Empty(set);
    }

    [Fact]
    public void Read_of_missing_tables_is_empty()
    {
        var listeners = new GuestListeners(Path.Combine(Path.GetTempPath(), "no-such-proc-" + Guid.NewGuid().ToString("N")));
        Assert.Empty(listeners.Read());
    }
}
