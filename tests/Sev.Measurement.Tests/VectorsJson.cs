using System.Text.Json;

namespace Sev.Measurement.Tests;

/// <summary>
/// Reads tests/vectors/vectors.json (copied from the published vectors, provenance in tests/vectors/README.md) at test time. Cases are addressed as
/// "group[index] summary" so a failing Theory row names the case.
/// </summary>
internal static class VectorsJson
{
    public const string SnpMeasureGroup = "sev_snp_measure_tests";
    public const string SevctlMeasurementGroup = "sevctl_measurement_build_tests";
    public const string SevctlSecretGroup = "sevctl_secret_build_tests";

    public static readonly string[] KnownGroups = [SnpMeasureGroup, SevctlMeasurementGroup, SevctlSecretGroup];

    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(VectorFiles.Root, "vectors.json"))));

    /// <summary>Top-level group keys, with their descriptive suffix cut off ("name (repo …)" → "name").</summary>
    public static IEnumerable<(string Group, JsonElement Cases)> Groups()
    {
        foreach (var property in Document.Value.RootElement.EnumerateObject())
        {
            if (property.Name.StartsWith('_'))
            {
                continue;
            }

            yield return (property.Name.Split(' ')[0], property.Value);
        }
    }

    public static JsonElement Group(string group) =>
        Groups().Single(g => g.Group == group).Cases;

    /// <summary>One Theory row per case of <paramref name="group"/>.</summary>
    public static TheoryData<string> CaseNames(string group)
    {
        var data = new TheoryData<string>();
        var i = 0;
        foreach (var c in Group(group).EnumerateArray())
        {
            data.Add($"{group}[{i}] {Summary(c)}");
            i++;
        }

        return data;
    }

    public static JsonElement Case(string name)
    {
        var open = name.IndexOf('[', StringComparison.Ordinal);
        var close = name.IndexOf(']', StringComparison.Ordinal);
        var index = int.Parse(name[(open + 1)..close], System.Globalization.CultureInfo.InvariantCulture);
        return Group(name[..open])[index];
    }

    public static string? OptionalString(JsonElement c, string key) =>
        c.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The leading path of a descriptive value such as "sevctl/secret/tik1.bin (hex …)".</summary>
    public static string LeadingPath(string value) => value.Split(' ')[0];

    private static string Summary(JsonElement c)
    {
        var parts = new List<string>();
        foreach (var key in new[] { "mode", "vcpus", "ovmf", "append", "api_minor", "policy" })
        {
            if (c.TryGetProperty(key, out var v))
            {
                parts.Add($"{key}={v}");
            }
        }

        return string.Join(' ', parts);
    }
}
