using System.Globalization;
using System.Text;

namespace Fuzz.Tests.Harness;

/// <summary>
/// The seed inputs of a target, committed under Corpus/&lt;target&gt;/. Text seeds are read as
/// they are; *.hex files hold binary seeds as hex digits (whitespace and # comments ignored), so
/// that a reviewer can read them.
/// </summary>
internal static class Corpus
{
    /// <summary>Every seed of <paramref name="target"/> as bytes, in file name order.</summary>
    public static byte[][] Bytes(string target) =>
        [.. Files(target).Select(f => f.EndsWith(".hex", StringComparison.Ordinal) ? FromHex(File.ReadAllText(f)) : File.ReadAllBytes(f))];

    /// <summary>Every seed of <paramref name="target"/> as UTF-8 text.</summary>
    public static string[] Text(string target) => [.. Files(target).Select(f => File.ReadAllText(f, Encoding.UTF8))];

    private static string[] Files(string target)
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Corpus", target);
        var files = Directory.GetFiles(dir).Order(StringComparer.Ordinal).ToArray();
        return files.Length > 0 ? files : throw new InvalidOperationException($"the seed corpus {dir} is empty");
    }

    /// <summary>Hex digits to bytes; '#' starts a comment to the end of the line.</summary>
    public static byte[] FromHex(string text)
    {
        var digits = new StringBuilder();
        foreach (var line in text.Split('\n'))
        {
            var code = line.Split('#')[0];
            digits.Append(string.Concat(code.Where(char.IsAsciiHexDigit)));
        }

        return Convert.FromHexString(digits.ToString());
    }

    /// <summary>Bytes as lower-case hex, for failure reports.</summary>
    public static string ToHex(ReadOnlySpan<byte> bytes) =>
        bytes.Length <= 512
            ? Convert.ToHexStringLower(bytes)
            : Convert.ToHexStringLower(bytes[..512]) + string.Create(CultureInfo.InvariantCulture, $"... ({bytes.Length} bytes)");
}
