using System.Globalization;
using System.Text.Json;
using CsCheck;

namespace Fuzz.Tests.Harness;

/// <summary>
/// Fresh JSON documents as text, built from a vocabulary of the format's keys so that the
/// generated trees reach past the first "is it an object" check: objects, arrays, strings with
/// any UTF-16 content, edge-case numbers (huge, negative zero, exponents, above 2^64), duplicate keys.
/// </summary>
internal static class JsonGen
{
    private static readonly string[] Numbers =
        ["0", "-0", "-1", "1", "1.5", "1e400", "-1e400", "4294967295", "4294967296", "9223372036854775807", "9223372036854775808",
         "18446744073709551616", "-9223372036854775809", "1E2", "0.0000001"];

    /// <summary>A JSON string literal of <paramref name="s"/> (lone surrogates escaped as \uXXXX).</summary>
    public static string Quote(string s) => JsonSerializer.Serialize(s);

    /// <summary>A scalar: a key or a string of <paramref name="strings"/>, any string, a number, true, false or null.</summary>
    public static Gen<string> Scalar(string[] strings) => Gen.Frequency(
        (3, Gen.OneOf(strings).Select(Quote)),
        (1, Gen.String.Select(Quote)),
        (2, Gen.OneOf(Numbers)),
        (1, Gen.Long.Select(n => n.ToString(CultureInfo.InvariantCulture))),
        (1, Gen.OneOf("true", "false", "null")));

    /// <summary>A JSON value of depth up to <paramref name="maxDepth"/> with keys from <paramref name="keys"/>.</summary>
    public static Gen<string> Value(string[] keys, string[] strings, int maxDepth = 5) =>
        Gen.Recursive<string>((depth, self) => depth >= maxDepth
            ? Scalar(strings)
            : Gen.Frequency(
                (3, Scalar(strings)),
                (2, Gen.Select(Gen.OneOf(keys), self, (k, v) => Quote(k) + ":" + v).Array[0, 6].Select(m => "{" + string.Join(",", m) + "}")),
                (1, self.Array[0, 5].Select(a => "[" + string.Join(",", a) + "]"))));

    /// <summary>A JSON object with keys from <paramref name="keys"/> (the top level of a document).</summary>
    public static Gen<string> Object(string[] keys, string[] strings, int maxDepth = 5) =>
        Gen.Select(Gen.OneOf(keys), Value(keys, strings, maxDepth), (k, v) => Quote(k) + ":" + v).Array[0, 8]
            .Select(m => "{" + string.Join(",", m) + "}");

    /// <summary>Tokens for text mutation of JSON.</summary>
    public static readonly string[] Tokens =
        ["{", "}", "[", "]", ",", ":", "\"", "null", "true", "false", "0", "-1", "1e400", "18446744073709551616", "\\u0000", "\\ud800",
         "\\", "\"\"", "{}", "[]", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "\u00e9", "\uffff", " ", "\n", "/*", "//"];
}
