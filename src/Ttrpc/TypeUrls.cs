using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;

namespace Ttrpc;

/// <summary>
/// Packs and unpacks <see cref="Any"/> the way containerd does (SHIM-PROTOCOL.md 3.4): the type
/// URL is the bare full message name (e.g. <c>containerd.events.TaskOOM</c>) with no
/// <c>type.googleapis.com/</c> prefix, because containerd 1.6 (typeurl v1) looks names up by
/// exact match. Google.Protobuf's own <c>Any.Pack</c>/<c>Unpack</c> cannot be used: they add the
/// prefix and do not recognise bare URLs.
/// </summary>
public static class TypeUrls
{
    /// <summary>Packs a message with its bare full name as the type URL.</summary>
    public static Any Pack(IMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new Any { TypeUrl = message.Descriptor.FullName, Value = message.ToByteString() };
    }

    /// <summary>
    /// The full message name of a type URL: the part after the last '/', so bare
    /// (<c>a.B</c>), prefixed (<c>type.googleapis.com/a.B</c>) and <c>/a.B</c> forms all give <c>a.B</c>.
    /// </summary>
    public static string GetTypeName(Any any)
    {
        ArgumentNullException.ThrowIfNull(any);
        var url = any.TypeUrl;
        var slash = url.LastIndexOf('/');
        return slash < 0 ? url : url[(slash + 1)..];
    }

    /// <summary>
    /// Unpacks a message of type <typeparamref name="T"/>. Accepts bare and prefixed type URLs.
    /// </summary>
    /// <exception cref="TtrpcException">
    /// InvalidArgument when the type URL names another message or the bytes do not decode.
    /// </exception>
    public static T Unpack<T>(Any any, MessageParser<T> parser)
        where T : IMessage<T>
    {
        ArgumentNullException.ThrowIfNull(any);
        ArgumentNullException.ThrowIfNull(parser);

        // MessageParser exposes no descriptor; an empty message of T gives it without reflection.
        var expected = parser.ParseFrom(ByteString.Empty).Descriptor.FullName;
        var actual = GetTypeName(any);
        if (!string.Equals(actual, expected, StringComparison.Ordinal))
        {
            throw new TtrpcException(
                TtrpcStatusCode.InvalidArgument,
                $"Any has type URL '{any.TypeUrl}' but '{expected}' was expected: send a message of type {expected}");
        }

        try
        {
            return parser.ParseFrom(any.Value);
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw new TtrpcException(
                TtrpcStatusCode.InvalidArgument,
                $"Any of type '{expected}' does not decode: {ex.Message}",
                ex);
        }
    }
}
