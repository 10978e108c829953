namespace Ttrpc;

/// <summary>ttrpc message types, byte 8 of the frame header (SHIM-PROTOCOL.md 1.1).</summary>
internal static class FrameType
{
    /// <summary>A client request (carries a ttrpc.Request).</summary>
    public const byte Request = 0x01;

    /// <summary>A server response (carries a ttrpc.Response). The only type a ttrpc 1.1 client accepts.</summary>
    public const byte Response = 0x02;

    /// <summary>Stream data (ttrpc 1.2 streaming); not supported here, ignored like any unknown type.</summary>
    public const byte Data = 0x03;
}
