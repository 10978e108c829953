using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using SevShim.Hosting;
using SevShim.Protos.Containerd.RuntimeOptions;

namespace SevShim.Tests.Hosting;

public sealed class RuntimeOptionsTests
{
    [Fact]
    public void EmptyStdinMeansNoOptions() => Assert.Null(RuntimeOptions.FromStartInput([]).ConfigPath);

    [Fact]
    public void ObservedCtrBytesGiveTheConfigPath()
    {
        // SHIM-PROTOCOL 4.2: ctr --runtime-config-path /etc/x/c.toml sent exactly these bytes.
        var path = "/etc/x/c.toml";
        var inner = new byte[] { 0x12, (byte)path.Length }.Concat(System.Text.Encoding.UTF8.GetBytes(path)).ToArray();
        var typeUrl = System.Text.Encoding.UTF8.GetBytes("runtimeoptions.v1.Options");
        var any = new byte[] { 0x0a, (byte)typeUrl.Length }.Concat(typeUrl).Concat(new byte[] { 0x12, (byte)inner.Length }).Concat(inner).ToArray();
        Assert.Equal(path, RuntimeOptions.FromStartInput(any).ConfigPath);
    }

    [Fact]
    public void OtherOptionsTypeIsRefusedWithTheFix()
    {
        var any = new Any { TypeUrl = "containerd.runc.v1.Options", Value = ByteString.CopyFromUtf8("x") };
        var e = Assert.Throws<ShimUsageException>(() => RuntimeOptions.FromStartInput(any.ToByteArray()));
        Assert.Contains("'containerd.runc.v1.Options'", e.Message);
        Assert.Contains("ConfigPath", e.Message);
    }

    [Fact]
    public void CreateTaskOptionsAnyIsRead()
    {
        var any = new Any { TypeUrl = "runtimeoptions.v1.Options", Value = new Options { ConfigPath = "/c.toml" }.ToByteString() };
        Assert.Equal("/c.toml", RuntimeOptions.FromAny(any).ConfigPath);
        Assert.Null(RuntimeOptions.FromAny(null).ConfigPath);
    }

    [Fact]
    public void BootstrapParamsCarryOptionsAndSocketDir()
    {
        // containerd 2.3 BootstrapParams: namespace=2, containerd_ttrpc_address=5, extensions=8 { value=1 Any }, socket_dir=9.
        var options = new Any { TypeUrl = "runtimeoptions.v1.Options", Value = new Options { ConfigPath = "/c.toml" }.ToByteString() };
        using var ms = new MemoryStream();
        var o = new CodedOutputStream(ms);
        o.WriteTag(2, WireFormat.WireType.LengthDelimited);
        o.WriteString("default");
        o.WriteTag(5, WireFormat.WireType.LengthDelimited);
        o.WriteString("/run/containerd/containerd.sock.ttrpc");
        o.WriteTag(8, WireFormat.WireType.LengthDelimited);
        var extension = new byte[] { 0x0a, (byte)options.CalculateSize() }.Concat(options.ToByteArray()).ToArray();
        o.WriteBytes(ByteString.CopyFrom(extension));
        o.WriteTag(9, WireFormat.WireType.LengthDelimited);
        o.WriteString("/run/containerd/s");
        o.Flush();
        var parsed = RuntimeOptions.FromStartInput(ms.ToArray());
        Assert.Equal("/c.toml", parsed.ConfigPath);
        Assert.Equal("/run/containerd/s", parsed.SocketDir);
    }

    [Fact]
    public void GarbageIsAClearError()
    {
        var e = Assert.Throws<ShimUsageException>(() => RuntimeOptions.FromStartInput([0xff, 0xff, 0xff]));
        Assert.Contains("stdin", e.Message);
    }
}
