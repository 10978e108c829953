using Grpc.Core;
using SevShim.Agent;
using Proto = SevAgent.Protocol.V1;

namespace SevShim.Tests.Io;

public sealed class OutputStreamMethodsTests
{
    [Theory]
    [InlineData("ReadStdout")]
    [InlineData("ReadStderr")]
    public void TheMethodsAreAgentProtosServerStreamingCallsReturningOutputChunk(string name)
    {
        var method = name == "ReadStdout" ? OutputStreamMethods.ReadStdout : OutputStreamMethods.ReadStderr;
        var declared = Proto.Agent.Descriptor.FindMethodByName(name);
        Assert.Equal(declared.FullName, method.FullName.TrimStart('/').Replace('/', '.'));
        Assert.Equal(Proto.Agent.Descriptor.FullName, method.ServiceName);
        Assert.Equal(MethodType.ServerStreaming, method.Type);
        Assert.True(declared.IsServerStreaming);
        Assert.False(declared.IsClientStreaming);
        Assert.Equal(Proto.ReadStreamRequest.Descriptor, declared.InputType);
        // The codec's wire contract: OutputChunk is `bytes data = 1` and nothing else.
        Assert.Equal(Proto.OutputChunk.Descriptor, declared.OutputType);
        var field = Assert.Single(declared.OutputType.Fields.InFieldNumberOrder());
        Assert.Equal(1, field.FieldNumber);
        Assert.Equal(Google.Protobuf.Reflection.FieldType.Bytes, field.FieldType);
    }

    [Fact]
    public void TheResponseMarshallerParsesIntoThePooledBufferAndTheRequestIsProtobuf()
    {
        var request = new Proto.ReadStreamRequest { ContainerId = "c1", ExecId = "e1" };
        var bytes = OutputStreamMethods.ReadStdout.RequestMarshaller.Serializer(request);
        Assert.Equal(request, Proto.ReadStreamRequest.Parser.ParseFrom(bytes));
        using var chunk = OutputStreamMethods.ReadStdout.ResponseMarshaller.ContextualDeserializer(new FakeDeserializationContext([0x0A, 0x02, (byte)'h', (byte)'i']));
        Assert.Equal("hi"u8.ToArray(), chunk.Span.ToArray());
    }
}
