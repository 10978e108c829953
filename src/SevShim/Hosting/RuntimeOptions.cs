using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using SevShim.Protos.Containerd.RuntimeOptions;

namespace SevShim.Hosting;

/// <summary>
/// The runtime options containerd hands the shim (SHIM-PROTOCOL 6): a protobuf Any on start's
/// stdin (1.6 to 2.2), the same Any inside BootstrapParams.extensions (2.3+), and again as
/// CreateTaskRequest.options. sevshim takes only <c>runtimeoptions.v1.Options</c> (what CRI builds
/// for a non-runc runtime and <c>ctr --runtime-config-path</c> sends); any other type is refused
/// with the fix, because silently ignoring e.g. runc options would hide a misconfigured runtime.
/// </summary>
internal sealed record RuntimeOptions
{
    /// <summary>The bare type URL containerd uses (typeurl never adds a prefix for it).</summary>
    public const string OptionsTypeUrl = "runtimeoptions.v1.Options";

    /// <summary>No options given.</summary>
    public static RuntimeOptions None { get; } = new();

    /// <summary>Options.config_path, or null.</summary>
    public string? ConfigPath { get; init; }

    /// <summary>BootstrapParams.socket_dir (containerd 2.3+), or null.</summary>
    public string? SocketDir { get; init; }

    /// <summary>
    /// Decodes start's stdin. BootstrapParams always sets fields above 2 (addresses, binary) while
    /// an Any only has fields 1 and 2, which tells the two apart (SHIM-PROTOCOL 4.2).
    /// </summary>
    public static RuntimeOptions FromStartInput(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty)
        {
            return None;
        }

        try
        {
            var bytes = input.ToArray();
            return HasFieldAbove2(bytes) ? FromBootstrapParams(bytes) : FromAny(Any.Parser.ParseFrom(bytes));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ShimUsageException($"the runtime options on stdin are not a protobuf Any or BootstrapParams ({e.Message})", e);
        }
    }

    /// <summary>Decodes an options Any (from stdin or CreateTaskRequest.options); null or empty means none.</summary>
    public static RuntimeOptions FromAny(Any? any)
    {
        if (any is null || (any.TypeUrl.Length == 0 && any.Value.IsEmpty))
        {
            return None;
        }

        // Compare the URL by hand: Any.Unpack only understands prefixed URLs (SHIM-PROTOCOL 3.4).
        var name = any.TypeUrl[(any.TypeUrl.LastIndexOf('/') + 1)..];
        if (name != OptionsTypeUrl)
        {
            throw new ShimUsageException(
                $"unsupported runtime options type '{any.TypeUrl}': sevshim takes {OptionsTypeUrl} only " +
                "(in containerd's CRI config: [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.<handler>.options] ConfigPath = \"/etc/sevshim/config.toml\"); remove the other options");
        }

        try
        {
            var options = Options.Parser.ParseFrom(any.Value);
            return new RuntimeOptions { ConfigPath = options.ConfigPath.Length > 0 ? options.ConfigPath : null };
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ShimUsageException($"the {OptionsTypeUrl} runtime options cannot be decoded ({e.Message})", e);
        }
    }

    private static bool HasFieldAbove2(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (WireFormat.GetTagFieldNumber(tag) > 2)
            {
                return true;
            }

            input.SkipLastField();
        }

        return false;
    }

    /// <summary>
    /// containerd.runtime.bootstrap.v1.BootstrapParams, read by hand for the two fields used:
    /// extensions = 8 (Extension { Any value = 1 }) and socket_dir = 9.
    /// </summary>
    private static RuntimeOptions FromBootstrapParams(byte[] bytes)
    {
        var input = new CodedInputStream(bytes);
        var result = None;
        string? socketDir = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 8:
                    var extension = new CodedInputStream(input.ReadBytes().ToByteArray());
                    uint inner;
                    while ((inner = extension.ReadTag()) != 0)
                    {
                        if (WireFormat.GetTagFieldNumber(inner) == 1)
                        {
                            var any = Any.Parser.ParseFrom(extension.ReadBytes());
                            if (any.TypeUrl.EndsWith(OptionsTypeUrl, StringComparison.Ordinal))
                            {
                                result = FromAny(any);
                            }
                        }
                        else
                        {
                            extension.SkipLastField();
                        }
                    }

                    break;
                case 9:
                    socketDir = input.ReadString();
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }

        return result with { SocketDir = string.IsNullOrEmpty(socketDir) ? null : socketDir };
    }
}
