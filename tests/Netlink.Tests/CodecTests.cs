using System.Buffers.Binary;

namespace Netlink.Tests;

/// <summary>The netlink codec on hand-made bytes (layouts of linux/netlink.h and rtnetlink.h).</summary>
public sealed class CodecTests
{
    [Fact]
    public void A_request_has_its_length_sequence_padding_and_nested_lengths()
    {
        var bytes = new MessageBuilder(44, 0x0605)
            .Fixed(new byte[20])
            .String(1, "u32")
            .BeginNest(2)
            .U32(9, 0xAABBCCDD)
            .EndNest()
            .Build(77);

        Assert.Equal(bytes.Length, (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes));
        Assert.Equal(44, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(0x0605, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(6)));
        Assert.Equal(77u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));

        // 16 header + 20 tcmsg + "u32\0" (8) + nest header 4 + u32 attribute 8 = 56.
        Assert.Equal(56, bytes.Length);
        var attributes = Attributes.Parse(bytes.AsSpan(36));
        Assert.Equal("u32", Attributes.String(attributes, 1));
        var nest = Attributes.Find(attributes, 2)!;
        Assert.Equal(0xAABBCCDDu, Attributes.U32(Attributes.Parse(nest), 9));
        Assert.Equal(12, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(44)));
    }

    [Fact]
    public void An_attribute_running_past_its_message_is_a_malformed_reply()
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, 12);
        var e = Assert.Throws<NetlinkException>(() => Attributes.Parse(bytes));
        Assert.Contains("malformed", e.Message, StringComparison.Ordinal);

        BinaryPrimitives.WriteUInt16LittleEndian(bytes, 2);
        Assert.Throws<NetlinkException>(() => Attributes.Parse(bytes));
    }

    [Fact]
    public void A_datagram_splits_into_messages_and_a_truncated_one_is_refused()
    {
        var one = new MessageBuilder(16, 2).Fixed(new byte[16]).Build(5);
        var two = new MessageBuilder(3, 2).Fixed(new byte[4]).Build(5);
        var messages = NetlinkSocket.Split([.. one, .. two]);
        Assert.Equal([16, 3], messages.Select(m => (int)m.Type));
        Assert.All(messages, m => Assert.Equal(5u, m.Sequence));

        Assert.Throws<NetlinkException>(() => NetlinkSocket.Split(one.AsSpan(0, one.Length - 4)));
    }

    [Fact]
    public void An_error_message_gives_its_errno_and_the_kernels_extended_ack_text()
    {
        // nlmsgerr: -EEXIST, the capped echo of the request's header, then NLMSGERR_ATTR_MSG.
        var payload = new List<byte>();
        payload.AddRange(BitConverter.GetBytes(-17));
        payload.AddRange(new byte[16]);
        var text = "Exclusivity flag on"u8.ToArray();
        payload.AddRange(BitConverter.GetBytes((ushort)(4 + text.Length + 1)));
        payload.AddRange(BitConverter.GetBytes((ushort)1));
        payload.AddRange(text);
        payload.Add(0);
        var (errno, message) = NetlinkSocket.ParseError(payload.ToArray(), 0x300);
        Assert.Equal(17, errno);
        Assert.Equal("Exclusivity flag on", message);

        var (ack, none) = NetlinkSocket.ParseError(new byte[20], 0);
        Assert.Equal(0, ack);
        Assert.Null(none);
        Assert.Throws<NetlinkException>(() => NetlinkSocket.ParseError(new byte[8], 0));
    }

    [Fact]
    public void The_mirred_target_is_read_from_a_u32_filters_actions()
    {
        var parms = new byte[28];
        BinaryPrimitives.WriteInt32LittleEndian(parms.AsSpan(24), 42);
        var message = new MessageBuilder(44, 0)
            .String(1, "u32")
            .BeginNest(2)
            .Attribute(5, new byte[32])
            .BeginNest(7).BeginNest(1).String(1, "mirred").BeginNest(2).Attribute(2, parms).EndNest().EndNest().EndNest()
            .EndNest()
            .Build(1);
        Assert.Equal([42], RouteNetlink.MirredTargets(message.AsSpan(16)));

        var other = new MessageBuilder(44, 0).String(1, "bpf").Build(1);
        Assert.Empty(RouteNetlink.MirredTargets(other.AsSpan(16)));
    }

    [Fact]
    public void Errnos_are_named_with_the_kernels_words()
    {
        Assert.Equal("File exists (EEXIST)", NetlinkException.Describe(17));
    }
}
