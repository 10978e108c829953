using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Ttrpc.Tests;

public sealed class TypeUrlsTests
{
    [Fact]
    public void Pack_uses_the_bare_full_name_and_round_trips()
    {
        var any = TypeUrls.Pack(new StringValue { Value = "oom" });

        Assert.Equal("google.protobuf.StringValue", any.TypeUrl);
        Assert.Equal("oom", TypeUrls.Unpack(any, StringValue.Parser).Value);
    }

    [Theory]
    [InlineData("type.googleapis.com/google.protobuf.StringValue")]
    [InlineData("/google.protobuf.StringValue")]
    public void Unpack_accepts_prefixed_urls(string url)
    {
        var any = new Any { TypeUrl = url, Value = new StringValue { Value = "x" }.ToByteString() };

        Assert.Equal("x", TypeUrls.Unpack(any, StringValue.Parser).Value);
    }

    [Fact]
    public void Unpack_of_another_type_is_InvalidArgument_naming_both()
    {
        var any = TypeUrls.Pack(new Int32Value { Value = 3 });

        var error = Assert.Throws<TtrpcException>(() => TypeUrls.Unpack(any, StringValue.Parser));

        Assert.Equal(TtrpcStatusCode.InvalidArgument, error.Code);
        Assert.Contains("google.protobuf.Int32Value", error.Message, StringComparison.Ordinal);
        Assert.Contains("google.protobuf.StringValue", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unpack_of_bad_bytes_is_InvalidArgument()
    {
        var any = new Any { TypeUrl = "google.protobuf.StringValue", Value = ByteString.CopyFrom(0x0F) };

        Assert.Equal(TtrpcStatusCode.InvalidArgument, Assert.Throws<TtrpcException>(() => TypeUrls.Unpack(any, StringValue.Parser)).Code);
    }
}
