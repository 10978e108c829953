using Sev;
using Sev.Launch;
using Tomlyn;
using Tomlyn.Parsing;
using Tomlyn.Syntax;

namespace SevShim.Config;

/// <summary>
/// Reads the TOML configuration through Tomlyn's syntax tree (no reflection-based mapping, so it
/// is Native AOT safe, and every value keeps its line for error messages). Every problem is
/// collected and reported at once in one <see cref="ConfigException"/>.
/// </summary>
internal static class ConfigParser
{
    /// <summary>Parses <paramref name="text"/>; <paramref name="source"/> names the file in errors.</summary>
    public static ShimConfig Parse(string text, string source)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(source);
        DocumentSyntax doc;
        try
        {
            doc = SyntaxParser.Parse(text, source, true);
        }
        catch (Exception ex) when (ex is TomlException or ArgumentOutOfRangeException)
        {
            // Tomlyn 2.10 throws rather than reporting a diagnostic in two cases: arrays or inline
            // tables nested deeper than its limit of 64 (TomlException), and a file that ends in a
            // backslash inside a quoted string (its lexer formats the end-of-file char32).
            throw new ConfigException($"configuration file {source} is not valid TOML: {ex.Message}", ex);
        }

        if (doc.HasErrors)
        {
            var syntax = doc.Diagnostics.Select(d => $"  {d}");
            throw new ConfigException($"configuration file {source} is not valid TOML:{Environment.NewLine}{string.Join(Environment.NewLine, syntax)}");
        }

        var errors = new List<string>();
        var entries = new List<(string Key, ValueSyntax Value, int Line)>();
        Flatten(string.Empty, doc.KeyValues, entries);
        foreach (var table in doc.Tables)
        {
            var name = KeyText(table.Name);
            var line = table.Span.Start.Line + 1;
            if (table is not TableSyntax)
            {
                errors.Add($"{source}:{line}: [[{name}]]: arrays of tables are not used; write [{name}]");
                continue;
            }

            if (!ConfigSchema.Sections.Contains(name))
            {
                errors.Add($"{source}:{line}: unknown section [{name}]; the sections are {Known(ConfigSchema.Sections, "[", "]")}");
                continue;
            }

            Flatten(name + ".", table.Items, entries);
        }

        var config = ShimConfig.Defaults with { SourcePath = source };
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (key, value, line) in entries)
        {
            if (!seen.Add(key))
            {
                errors.Add($"{source}:{line}: key '{key}' is set twice");
                continue;
            }

            var spec = ConfigSchema.Find(key);
            if (spec is null)
            {
                errors.Add($"{source}:{line}: {UnknownKey(key)}");
                continue;
            }

            var applied = spec.Apply(config, value);
            if (applied is null)
            {
                errors.Add($"{source}:{line}: key '{key}' = {Shown(value)}: expected {spec.Expected}");
                continue;
            }

            config = applied;
        }

        if (!seen.Contains("rootfs.mode"))
        {
            // ARCHITECTURE decision 7: block is the default when confidential, so the host does not
            // serve files to a running confidential guest.
            config = config with { Rootfs = config.Confidential == SevMode.None ? RootfsMode.Shared : RootfsMode.Block };
        }

        errors.AddRange(CrossCheck(config, source, entries));
        errors.AddRange(RootfsConfigCheck.Check(config, source, FirstLines(entries)));
        errors.AddRange(AttestationConfigCheck.Check(config, source));
        if (errors.Count > 0)
        {
            throw new ConfigException($"configuration file {source} has {errors.Count} error(s):{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", errors)}");
        }

        return config;
    }

    /// <summary>
    /// Checks that need several keys: the policy must suit the mode (SEV.md section 3), by src/Sev's
    /// <see cref="SevPolicy.Problem"/>, the rule the launch enforces, so a bad policy fails here,
    /// at its line, instead of at a pod's start.
    /// </summary>
    private static IEnumerable<string> CrossCheck(ShimConfig c, string source, List<(string Key, ValueSyntax Value, int Line)> entries)
    {
        if (c.SevPolicyOverride is { } policy && SevPolicy.Problem(c.Confidential, policy) is { } problem)
        {
            var line = entries.First(e => e.Key == "confidential.policy").Line;
            yield return $"{source}:{line}: key 'confidential.policy' = {SevPolicy.Hex(policy)} {problem}";
        }
    }

    /// <summary>The line of each key's first setting (a second one is already an error).</summary>
    private static Dictionary<string, int> FirstLines(List<(string Key, ValueSyntax Value, int Line)> entries)
    {
        var lines = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (key, _, line) in entries)
        {
            lines.TryAdd(key, line);
        }

        return lines;
    }

    /// <summary>
    /// A value as the file wrote it, on one line (a multi-line string would break the one problem
    /// per line of the message) and cut at 80 characters.
    /// </summary>
    private static string Shown(ValueSyntax value)
    {
        var text = (value.ToString() ?? string.Empty).Trim().Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
        return text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 80), "...");
    }

    private static string UnknownKey(string key)
    {
        var dot = key.LastIndexOf('.');
        if (dot < 0)
        {
            return $"unknown key '{key}' outside any section; the sections are {Known(ConfigSchema.Sections, "[", "]")}";
        }

        var section = key[..dot];
        var names = ConfigSchema.Keys.Where(k => k.Section == section).Select(k => k.Name).ToArray();
        return names.Length == 0
            ? $"unknown key '{key}'; the sections are {Known(ConfigSchema.Sections, "[", "]")}"
            : $"unknown key '{key}'; the keys of [{section}] are {Known(names, string.Empty, string.Empty)}";
    }

    private static string Known(IEnumerable<string> names, string open, string close) =>
        string.Join(", ", names.Select(n => open + n + close));

    /// <summary>Turns dotted keys and inline tables into "section.key" entries.</summary>
    private static void Flatten(string prefix, SyntaxList<KeyValueSyntax> items, List<(string, ValueSyntax, int)> into)
    {
        foreach (var kv in items)
        {
            FlattenOne(prefix, kv, into);
        }
    }

    private static void FlattenOne(string prefix, KeyValueSyntax kv, List<(string, ValueSyntax, int)> into)
    {
        var key = prefix + KeyText(kv.Key);
        if (kv.Value is InlineTableSyntax inline)
        {
            foreach (var item in inline.Items)
            {
                if (item.KeyValue is { } inner)
                {
                    FlattenOne(key + ".", inner, into);
                }
            }
        }
        else if (kv.Value is not null)
        {
            into.Add((key, kv.Value, kv.Span.Start.Line + 1));
        }
    }

    /// <summary>The dotted text of a key without quotes or trivia.</summary>
    private static string KeyText(KeySyntax? key)
    {
        if (key is null)
        {
            return string.Empty;
        }

        var parts = new List<string> { Part(key.Key) };
        foreach (var dotted in key.DotKeys)
        {
            parts.Add(Part(dotted.Key));
        }

        return string.Join('.', parts);
    }

    private static string Part(BareKeyOrStringValueSyntax? part) => part switch
    {
        BareKeySyntax bare => bare.Key?.Text ?? string.Empty,
        StringValueSyntax quoted => quoted.Value ?? string.Empty,
        _ => string.Empty,
    };
}
