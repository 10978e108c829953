using System.Text;
using CsCheck;
using Fuzz.Tests.Harness;
using SevShim.Config;
using Xunit.Abstractions;

namespace Fuzz.Tests.Config;

/// <summary>
/// Target 2: <see cref="ConfigParser"/> on mutated seeds (Corpus/config, from config/config.toml)
/// and fresh documents built from the schema's sections and keys with every TOML value type.
/// Each gives a configuration, which prints (ConfigTomlWriter) to TOML that parses back to the
/// same configuration, or a <see cref="ConfigException"/> naming the file whose every problem
/// line names a key or a section; never another exception.
/// </summary>
public sealed class ConfigParserFuzz(ITestOutputHelper output)
{
    private const string SourcePath = "/fuzz/config.toml";

    private static readonly ConfigSource Source = new(SourcePath, "fuzz", true);

    private static readonly string[] Sections = [.. ConfigSchema.Sections, "nope", "vm.extra", "\"vm\"", "confidential.mode", ""];

    private static readonly string[] Keys = [.. ConfigSchema.Keys.Select(k => k.Name), "nope", "\"qemu\"", "vm.vcpus", "a.b.c"];

    private static readonly string[] Values =
    [
        "\"/usr/bin/qemu\"", "\"relative\"", "\"\"", "'/literal'", "\"\"\"/multi\nline\"\"\"", "\"none\"", "\"sev\"", "\"sev-es\"", "\"sev-snp\"", "\"pre\"",
        "\"shared\"", "\"block\"", "\"vsock\"", "\"virtio-serial\"", "\"auto\"", "\"debug\"", "\"trace\"", "\"e6f5a162-d67f-4750-a67c-5d065f2a9910\"",
        "\"/a\\u0000b\"", "\"\\uD800\"", "\"\\U0010FFFF\"", "\"/\\n\"", "0", "1", "-1", "255", "256", "128", "1048576", "1048577", "0x7", "0x30000", "0xFFFFFFFFFFFFFFFF",
        "9223372036854775807", "-9223372036854775808", "0o777", "0b101", "1_000", "1.5", "inf", "nan", "-0.0", "1e308", "true", "false",
        "1979-05-27T07:32:00Z", "1979-05-27", "07:32:00", "[]", "[\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"]",
        "[1, \"a\"]", "[[1], [2]]", "{}", "{ mode = \"sev\" }", "{ a = { b = 1 } }",
    ];

    private static readonly string[] Tokens =
        ["[", "]", "[[", "]]", "=", "\"", "'", "\"\"\"", "'''", "\n", "#", ".", ",", "{", "}", "\\", "\\u", "0x", "_", "\r\n", "\t", "\u00e9",
         "vm", "confidential", "mode", "policy", "launch_digests", "rootfs", "agent", "timeouts", "log", "level", "\"pre\"", "\"sev-es\"", "-1", "1e9"];

    private static readonly Gen<string> Line = Gen.Frequency(
        (4, Gen.Select(Gen.OneOf(Keys), Gen.OneOf(Values), (k, v) => $"{k} = {v}")),
        (1, Gen.Select(Gen.OneOf(Sections), Gen.OneOf(Keys), Gen.OneOf(Values), (s, k, v) => $"{s}.{k} = {v}")),
        (1, Gen.OneOf(Sections).Select(s => $"[{s}]")),
        (1, Gen.OneOf(Sections).Select(s => $"[[{s}]]")),
        (1, Gen.String.Select(s => "# " + s)));

    private static readonly Gen<string> Fresh = Gen.Select(Gen.OneOf(Sections), Line.Array[0, 12], (first, lines) => $"[{first}]\n{string.Join('\n', lines)}\n");

    // A file is read as UTF-8: whatever the generator made becomes what File.ReadAllText could give.
    private static readonly Gen<string> Documents = Gen.Frequency((1, Mutations.Text(Corpus.Text("config"), Tokens)), (1, Fresh))
        .Select(s => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(s)));

    [Fact]
    public Task A_config_or_a_ConfigException_naming_the_key() => Fuzzer.RunAsync(
        new FuzzTarget<string>("config (TOML)", Documents, ParseOne, ex => ex is ConfigException, Mutations.Show)
        {
            AllocationCap = text => (4L << 20) + (text.Length * 2000L),
        },
        output);

    private static void ParseOne(string text)
    {
        ShimConfig config;
        try
        {
            config = ConfigParser.Parse(text, SourcePath);
        }
        catch (ConfigException ex)
        {
            Fuzzer.Require(ex.Message.Contains(SourcePath, StringComparison.Ordinal), $"the error does not name the file: {ex.Message}");
            if (!ex.Message.Contains("is not valid TOML", StringComparison.Ordinal))
            {
                foreach (var line in ex.Message.Split('\n').Skip(1))
                {
                    Fuzzer.Require(
                        line.Contains("key '", StringComparison.Ordinal) || line.Contains("section [", StringComparison.Ordinal) || line.Contains("[[", StringComparison.Ordinal),
                        $"an error names no key or section: {line}");
                }
            }

            throw;
        }

        var printed = ConfigTomlWriter.Write(config, Source);
        var again = ConfigTomlWriter.Write(ConfigParser.Parse(printed, SourcePath), Source);
        Fuzzer.Require(printed == again, $"the printed configuration does not parse back to itself:\n{printed}\n---\n{again}");
    }
}
