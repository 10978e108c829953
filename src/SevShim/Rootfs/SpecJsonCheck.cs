using System.Text.Json;

namespace SevShim.Rootfs;

/// <summary>
/// JSON allows what the spec readers cannot use: a \uD800 escape without its pair (a .NET
/// string cannot hold it as text: JsonElement and JsonNode throw InvalidOperationException on
/// reading it) and a name set twice in one object (JsonObject throws ArgumentException).
/// containerd's specs (Go encoding/json) never hold either; the readers refuse both up front
/// with their own error type, naming the problem.
/// </summary>
internal static class SpecJsonCheck
{
    /// <summary>What is wrong, worded to follow "the OCI spec ...", or null when nothing is.</summary>
    public static string? Problem(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                var names = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in element.EnumerateObject())
                {
                    if (!TryRead(() => property.Name, out var name))
                    {
                        return Unpaired;
                    }

                    if (!names.Add(name))
                    {
                        return $"sets \"{name}\" twice in one object: write each name once";
                    }

                    if (Problem(property.Value) is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    if (Problem(item) is { } inner)
                    {
                        return inner;
                    }
                }

                return null;
            case JsonValueKind.String:
                return TryRead(element.GetString, out _) ? null : Unpaired;
            default:
                return null;
        }
    }

    private const string Unpaired = "has a string with an unpaired UTF-16 surrogate escape (\\uD800 to \\uDFFF alone): it cannot be text";

    private static bool TryRead(Func<string?> read, out string text)
    {
        try
        {
            text = read() ?? string.Empty;
            return true;
        }
        catch (InvalidOperationException)
        {
            text = string.Empty;
            return false;
        }
    }
}
