using Grpc.Core;
using SevAgent.Hosting;
using SevAgent.Protocol.V1;

namespace SevAgent.Tests.Unit;

public sealed class AgentMethodsTests
{
    [Fact]
    public void Provider_adds_every_rpc_of_the_proto_with_its_streaming_kind()
    {
        var service = Agent.Descriptor;
        Assert.Equal(AgentServiceMethodProvider.ServiceName, service.FullName);
        var expected = service.Methods
            .Select(m => (m.Name, m.IsClientStreaming switch
            {
                true when m.IsServerStreaming => MethodType.DuplexStreaming,
                true => MethodType.ClientStreaming,
                false when m.IsServerStreaming => MethodType.ServerStreaming,
                false => MethodType.Unary,
            }))
            .OrderBy(m => m.Name, StringComparer.Ordinal)
            .ToList();
        var added = AgentServiceMethodProvider.Describe().OrderBy(m => m.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, added);
    }
}
