using System.Globalization;
using System.Text.RegularExpressions;

namespace TestSupport;

/// <summary>
/// The shipped RuntimeClass (config/kubernetes/runtimeclass.yaml) as the scheduler and kubelet
/// read it: the handler, the pod overhead (what kubelet sends in the sandbox config's
/// overhead), the node selector. The file is plain block YAML of scalars and maps; this reads
/// that subset (two-space indentation, `key: value`, comments) and refuses anything else, so a
/// file that grew beyond it fails the tests instead of being half read.
/// </summary>
public sealed partial class RuntimeClassFile
{
    private RuntimeClassFile(IReadOnlyDictionary<string, string> values) => Values = values;

    /// <summary>The file's path in the checkout.</summary>
    public static string PathInRepo => System.IO.Path.Combine(RepoPaths.Root, "config", "kubernetes", "runtimeclass.yaml");

    /// <summary>Every scalar by its dotted path, e.g. <c>overhead.podFixed.memory</c>.</summary>
    public IReadOnlyDictionary<string, string> Values { get; }

    /// <summary>The RuntimeClass's handler.</summary>
    public string Handler => Values["handler"];

    /// <summary>overhead.podFixed.memory in bytes.</summary>
    public long OverheadMemoryBytes => Quantity(Values["overhead.podFixed.memory"]);

    /// <summary>overhead.podFixed.cpu in millicores.</summary>
    public long OverheadMilliCpu => MilliCpu(Values["overhead.podFixed.cpu"]);

    /// <summary>The shipped file.</summary>
    public static RuntimeClassFile Load() => Parse(File.ReadAllText(PathInRepo));

    /// <summary>Reads <paramref name="text"/>.</summary>
    public static RuntimeClassFile Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        var path = new List<string>();
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd();
            if (line.TrimStart().Length == 0 || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var match = Line().Match(line);
            if (!match.Success || match.Groups["indent"].Length % 2 != 0)
            {
                throw new FormatException($"runtimeclass.yaml line {number}: '{line}' is not 'key: value' with two-space indentation");
            }

            var depth = match.Groups["indent"].Length / 2;
            if (depth > path.Count)
            {
                throw new FormatException($"runtimeclass.yaml line {number}: indented below a scalar");
            }

            path.RemoveRange(depth, path.Count - depth);
            var key = match.Groups["key"].Value;
            var value = match.Groups["value"].Value.Trim();
            if (value.Length == 0)
            {
                path.Add(key);
                continue;
            }

            values[string.Join('.', [.. path, key])] = value.Length >= 2 && value[0] == '"' && value[^1] == '"' ? value[1..^1] : value;
        }

        return new RuntimeClassFile(values);
    }

    /// <summary>A Kubernetes memory quantity (plain bytes, Ki, Mi, Gi) in bytes.</summary>
    public static long Quantity(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var (digits, scale) = text switch
        {
            _ when text.EndsWith("Ki", StringComparison.Ordinal) => (text[..^2], 1L << 10),
            _ when text.EndsWith("Mi", StringComparison.Ordinal) => (text[..^2], 1L << 20),
            _ when text.EndsWith("Gi", StringComparison.Ordinal) => (text[..^2], 1L << 30),
            _ => (text, 1L),
        };
        return long.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture) * scale;
    }

    /// <summary>A Kubernetes CPU quantity ("250m", "1") in millicores.</summary>
    public static long MilliCpu(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.EndsWith('m')
            ? long.Parse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture)
            : long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture) * 1000;
    }

    [GeneratedRegex(@"^(?<indent> *)(?<key>[A-Za-z0-9_./-]+):(?<value>( .*)?)$")]
    private static partial Regex Line();
}
