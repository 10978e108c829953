using Google.Protobuf;

namespace Ttrpc;

/// <summary>A handler of <typeparamref name="TRequest"/> returning <typeparamref name="TResponse"/>.</summary>
internal sealed class TypedServerMethod<TRequest, TResponse> : ServerMethod
    where TRequest : IMessage<TRequest>
    where TResponse : IMessage<TResponse>
{
    private readonly MessageParser<TRequest> _parser;
    private readonly Func<TRequest, TtrpcCallContext, CancellationToken, Task<TResponse>> _handler;

    public TypedServerMethod(
        MessageParser<TRequest> parser,
        Func<TRequest, TtrpcCallContext, CancellationToken, Task<TResponse>> handler)
    {
        _parser = parser;
        _handler = handler;
    }

    public override async Task<IMessage> InvokeAsync(ByteString payload, TtrpcCallContext context, CancellationToken cancellationToken)
    {
        TRequest request;
        try
        {
            request = _parser.ParseFrom(payload);
        }
        catch (InvalidProtocolBufferException ex)
        {
            // Go ttrpc answers Internal here; InvalidArgument is what it means (the client sent bad bytes).
            throw new TtrpcException(
                TtrpcStatusCode.InvalidArgument,
                $"unmarshal request error: {context.Service}/{context.Method} payload is not a valid {typeof(TRequest).Name}: {ex.Message}",
                ex);
        }

        var response = await _handler(request, context, cancellationToken);
        return response ?? throw new TtrpcException(
            TtrpcStatusCode.Internal, $"handler of {context.Service}/{context.Method} returned no response message");
    }
}
