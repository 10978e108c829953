using System.Buffers;
using Grpc.Core;

namespace SevShim.Tests.Io;

/// <summary>A received message as Grpc.Net.Client hands it to a marshaller: one payload.</summary>
internal sealed class FakeDeserializationContext(byte[] payload) : DeserializationContext
{
    public override int PayloadLength => payload.Length;

    public override byte[] PayloadAsNewBuffer() => (byte[])payload.Clone();

    public override ReadOnlySequence<byte> PayloadAsReadOnlySequence() => new(payload);
}
