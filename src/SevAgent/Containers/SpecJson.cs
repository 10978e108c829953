using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SevAgent.Errors;

namespace SevAgent.Containers;

/// <summary>
/// Parses the JSON documents the shim sends (an OCI spec, an exec process, resources) into a
/// JsonObject that can be read without surprises. JsonNode decodes lazily and throws on reading
/// what its parser let through, with exceptions that say nothing of the request (fuzz finding,
/// Fuzz.Tests AgentRequestFuzz): ArgumentException for a name set twice in one object and
/// InvalidOperationException for a string or name with an unpaired surrogate escape ("\ud800").
/// Both are refused here, up front, as INVALID_ARGUMENT naming the field.
/// </summary>
internal static class SpecJson
{
    private static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false };

    /// <summary>The JSON object <paramref name="json"/>; INVALID_ARGUMENT naming <paramref name="what"/> otherwise.</summary>
    public static JsonObject ParseObject(string json, string what)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonNode? node;
        try
        {
            RequireWellFormedStrings(Encoding.UTF8.GetBytes(json), what);
            node = JsonNode.Parse(json, documentOptions: Strict);
        }
        catch (JsonException e)
        {
            throw AgentException.InvalidArgument($"{what} is not valid JSON: {e.Message}");
        }

        return node as JsonObject ?? throw AgentException.InvalidArgument($"{what} must be a JSON object");
    }

    // Decodes every string and name once, so that no later read meets one that cannot be decoded.
    private static void RequireWellFormedStrings(byte[] utf8, string what)
    {
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = Strict.MaxDepth });
        while (reader.Read())
        {
            if (reader.TokenType is JsonTokenType.String or JsonTokenType.PropertyName)
            {
                try
                {
                    _ = reader.GetString();
                }
                catch (InvalidOperationException)
                {
                    throw AgentException.InvalidArgument(
                        $"{what} has a string that is not valid text (an unpaired surrogate escape such as \\ud800) at byte {reader.TokenStartIndex}");
                }
            }
        }
    }
}
