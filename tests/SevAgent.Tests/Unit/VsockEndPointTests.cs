using SevAgentProto;

namespace SevAgent.Tests.Unit;

public sealed class VsockEndPointTests
{
    [Fact]
    public void Write_lays_out_sockaddr_vm()
    {
        var bytes = new byte[16];
        new VsockEndPoint(cid: 3, port: 1024).Write(bytes);

        // u16 family 40, u16 reserved, u32 port, u32 cid, u8 flags, u8[3] zero (host order, x86-64).
        Assert.Equal(new byte[] { 40, 0, 0, 0, 0, 4, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0 }, bytes);
    }

    [Fact]
    public void Serialize_and_create_round_trip()
    {
        var endPoint = new VsockEndPoint(VsockEndPoint.CidAny, 5000);
        var address = endPoint.Serialize();

        Assert.Equal(16, address.Size);
        Assert.Equal(40, address[0]);
        var back = (VsockEndPoint)endPoint.Create(address);
        Assert.Equal(endPoint, back);
        Assert.Equal(uint.MaxValue, back.Cid);
        Assert.Equal(5000u, back.Port);
        Assert.Equal(40, (int)back.AddressFamily);
    }

    [Fact]
    public void Read_rejects_other_families()
    {
        var bytes = new byte[16];
        bytes[0] = 1; // AF_UNIX
        var e = Assert.Throws<ArgumentException>(() => VsockEndPoint.Read(bytes));
        Assert.Contains("AF_VSOCK", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_rejects_short_buffers() =>
        Assert.Throws<ArgumentException>(() => new VsockEndPoint(2, 1).Write(new byte[8]));
}
