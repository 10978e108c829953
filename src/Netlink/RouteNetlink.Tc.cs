using System.Buffers.Binary;
using SevRuntime.Posix;

namespace Netlink;

/// <summary>
/// tc over rtnetlink (linux/pkt_sched.h, pkt_cls.h, tc_act/tc_mirred.h): the ingress qdisc and a
/// u32 match-all filter whose mirred action redirects every frame to another link's egress, what
/// `tc filter add dev A parent ffff: protocol all u32 match u8 0 0 action mirred egress redirect
/// dev B` makes. (cls_matchall would be simpler but is a module some kernels lack; u32 is
/// everywhere tc is.)
/// </summary>
public sealed partial class RouteNetlink
{
    private const uint TcHandleIngress = 0xFFFF0000;
    private const uint TcParentIngress = 0xFFFFFFF1;
    private const ushort TCA_KIND = 1;
    private const ushort TCA_OPTIONS = 2;
    private const ushort TCA_U32_SEL = 5;
    private const ushort TCA_U32_ACT = 7;
    private const ushort TCA_ACT_KIND = 1;
    private const ushort TCA_ACT_OPTIONS = 2;
    private const ushort TCA_MIRRED_PARMS = 2;
    private const byte TC_U32_TERMINAL = 1;
    private const int TC_ACT_STOLEN = 4;
    private const int TCA_EGRESS_REDIR = 1;

    // Filter priority 1, protocol ETH_P_ALL (0x0003) in network byte order: tcm_info.
    private const uint FilterInfo = (1u << 16) | 0x0300;

    /// <summary>Adds the ingress qdisc (ffff:) to <paramref name="index"/>; EBUSY is retried (Kata does: a qdisc being torn down).</summary>
    public void AddIngressQdisc(int index)
    {
        var what = $"adding the ingress qdisc to link {index}";
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var message = new MessageBuilder(Rtnl.RTM_NEWQDISC, NetlinkSocket.NLM_F_REQUEST | NetlinkSocket.NLM_F_ACK | NetlinkSocket.NLM_F_CREATE | NetlinkSocket.NLM_F_EXCL)
                    .Fixed(TcMsg(index, TcHandleIngress, TcParentIngress, 0))
                    .String(TCA_KIND, "ingress");
                _socket.Request(message, what);
                return;
            }
            catch (NetlinkException e) when (e.Errno == Posix.EBUSY && attempt < 5)
            {
                Thread.Sleep(20);
            }
        }
    }

    /// <summary>Removes the ingress qdisc of <paramref name="index"/> and with it its filters; quiet when there is none.</summary>
    public void DeleteIngressQdisc(int index)
    {
        try
        {
            var message = new MessageBuilder(Rtnl.RTM_DELQDISC, NetlinkSocket.NLM_F_REQUEST | NetlinkSocket.NLM_F_ACK)
                .Fixed(TcMsg(index, TcHandleIngress, TcParentIngress, 0));
            _socket.Request(message, $"removing the ingress qdisc of link {index}");
        }
        catch (NetlinkException e) when (e.Errno is Posix.ENOENT or Posix.EINVAL or Posix.ENODEV)
        {
            // None there, or the link is gone.
        }
    }

    /// <summary>On <paramref name="fromIndex"/>'s ingress: every frame to <paramref name="toIndex"/>'s egress.</summary>
    public void AddRedirectFilter(int fromIndex, int toIndex)
    {
        // tc_u32_sel: flags, offshift, nkeys, pad, offmask, off, offoff, hoff, hmask (16 bytes),
        // then one tc_u32_key (mask, val, off, offmask): mask 0 matches everything.
        var selector = new byte[32];
        selector[0] = TC_U32_TERMINAL;
        selector[2] = 1;

        // tc_mirred: tc_gen (index, capab, action, refcnt, bindcnt), eaction, ifindex.
        var mirred = new byte[28];
        BinaryPrimitives.WriteInt32LittleEndian(mirred.AsSpan(8), TC_ACT_STOLEN);
        BinaryPrimitives.WriteInt32LittleEndian(mirred.AsSpan(20), TCA_EGRESS_REDIR);
        BinaryPrimitives.WriteInt32LittleEndian(mirred.AsSpan(24), toIndex);

        var message = new MessageBuilder(Rtnl.RTM_NEWTFILTER, NetlinkSocket.NLM_F_REQUEST | NetlinkSocket.NLM_F_ACK | NetlinkSocket.NLM_F_CREATE | NetlinkSocket.NLM_F_EXCL)
            .Fixed(TcMsg(fromIndex, 0, TcHandleIngress, FilterInfo))
            .String(TCA_KIND, "u32")
            .BeginNest(TCA_OPTIONS)
            .Attribute(TCA_U32_SEL, selector)
            .BeginNest(TCA_U32_ACT)
            .BeginNest(1)
            .String(TCA_ACT_KIND, "mirred")
            .BeginNest(TCA_ACT_OPTIONS)
            .Attribute(TCA_MIRRED_PARMS, mirred)
            .EndNest()
            .EndNest()
            .EndNest()
            .EndNest();
        _socket.Request(message, $"adding the redirect from link {fromIndex} to link {toIndex}");
    }

    /// <summary>The links the mirred filters on <paramref name="index"/>'s ingress redirect to (none without an ingress qdisc).</summary>
    public IReadOnlyList<int> GetRedirectTargets(int index)
    {
        List<(ushort Type, byte[] Payload)> replies;
        try
        {
            var request = new MessageBuilder(Rtnl.RTM_GETTFILTER, NetlinkSocket.NLM_F_REQUEST | NetlinkSocket.NLM_F_DUMP)
                .Fixed(TcMsg(index, 0, TcHandleIngress, 0));
            replies = _socket.Dump(request, $"listing the ingress filters of link {index}");
        }
        catch (NetlinkException e) when (e.Errno is Posix.ENOENT or Posix.EINVAL or Posix.ENODEV)
        {
            return [];
        }

        return replies.Where(r => r.Payload.Length >= 20).SelectMany(r => MirredTargets(r.Payload.AsSpan(20))).ToList();
    }

    /// <summary>The mirred targets in one filter message's attributes (after the tcmsg). Internal for the codec tests.</summary>
    internal static IEnumerable<int> MirredTargets(ReadOnlySpan<byte> attributes)
    {
        var targets = new List<int>();
        var top = Attributes.Parse(attributes);
        if (Attributes.String(top, TCA_KIND) != "u32" || Attributes.Find(top, TCA_OPTIONS) is not { } options)
        {
            return targets;
        }

        if (Attributes.Find(Attributes.Parse(options), TCA_U32_ACT) is not { } actions)
        {
            return targets;
        }

        foreach (var (_, action) in Attributes.Parse(actions))
        {
            var parts = Attributes.Parse(action);
            if (Attributes.String(parts, TCA_ACT_KIND) == "mirred"
                && Attributes.Find(parts, TCA_ACT_OPTIONS) is { } actionOptions
                && Attributes.Find(Attributes.Parse(actionOptions), TCA_MIRRED_PARMS) is { Length: >= 28 } parms)
            {
                targets.Add(BinaryPrimitives.ReadInt32LittleEndian(parms.AsSpan(24)));
            }
        }

        return targets;
    }

    // tcmsg: family, pad (3 bytes), ifindex, handle, parent, info.
    private static byte[] TcMsg(int index, uint handle, uint parent, uint info)
    {
        var b = new byte[20];
        BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), index);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), handle);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(12), parent);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), info);
        return b;
    }
}
