using System.Buffers.Binary;
using System.Text;
using CsCheck;

namespace Fuzz.Tests.Harness;

/// <summary>
/// Generators that mutate seeds, AFL-style, as a list of edits that CsCheck shrinks (fewer and
/// smaller edits) when an input fails: bit flips, overwrites, inserts, deletes, repeated slices,
/// truncation and "interesting" big-endian integers (0, sign bits, all ones, the ttrpc 4 MiB limit).
/// </summary>
internal static class Mutations
{
    private static readonly uint[] Interesting =
        [0, 1, 9, 10, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 4 << 20, (4 << 20) + 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF];

    private readonly record struct Edit(int Kind, int Position, byte[] Data);

    private static readonly Gen<Edit> Edits =
        Gen.Select(Gen.Int[0, 7], Gen.Int[0, 1 << 20], Gen.Byte.Array[1, 8], (k, p, d) => new Edit(k, p, d));

    /// <summary>A seed with up to <paramref name="maxEdits"/> byte-level edits.</summary>
    public static Gen<byte[]> Bytes(byte[][] seeds, int maxEdits = 8) =>
        Gen.Select(Gen.Int[0, seeds.Length - 1], Edits.Array[0, maxEdits], (i, edits) => Apply(seeds[i], edits));

    private static byte[] Apply(byte[] seed, Edit[] edits)
    {
        var b = new List<byte>(seed);
        Span<byte> be = stackalloc byte[4];
        foreach (var e in edits)
        {
            var pos = e.Position % (b.Count + 1);
            var n = e.Data[0] % 32;
            switch (e.Kind)
            {
                case 0 when b.Count > 0:
                    b[pos % b.Count] ^= (byte)(1 << (e.Data[0] % 8));
                    break;
                case 1:
                    for (var i = 0; i < e.Data.Length && pos + i < b.Count; i++)
                    {
                        b[pos + i] = e.Data[i];
                    }

                    break;
                case 2:
                    b.InsertRange(pos, e.Data);
                    break;
                case 3:
                    b.RemoveRange(pos, Math.Min(n + 1, b.Count - pos));
                    break;
                case 4:
                    BinaryPrimitives.WriteUInt32BigEndian(be, Interesting[e.Data[0] % Interesting.Length]);
                    for (var i = 0; i < 4; i++)
                    {
                        if (pos + i < b.Count)
                        {
                            b[pos + i] = be[i];
                        }
                        else
                        {
                            b.Add(be[i]);
                        }
                    }

                    break;
                case 5:
                    var slice = b.Skip(pos).Take(n + 1).ToArray();
                    for (var r = 0; r < 1 + (e.Data.Length > 1 ? e.Data[1] % 4 : 0); r++)
                    {
                        b.InsertRange(pos, slice);
                    }

                    break;
                case 6:
                    b.RemoveRange(pos, b.Count - pos);
                    break;
                default:
                    b.Insert(pos, e.Data[0]);
                    break;
            }
        }

        return [.. b];
    }

    private readonly record struct TextEdit(int Kind, int Position, int Token, char Char, int Length);

    /// <summary>
    /// A text seed with up to <paramref name="maxEdits"/> edits: tokens of the format inserted or
    /// put in place of a character, any UTF-16 character inserted (lone surrogates and NUL too),
    /// ranges deleted or repeated, lines swapped, truncation.
    /// </summary>
    public static Gen<string> Text(string[] seeds, string[] tokens, int maxEdits = 6) =>
        Gen.Select(
            Gen.Int[0, seeds.Length - 1],
            Gen.Select(Gen.Int[0, 7], Gen.Int[0, 1 << 20], Gen.Int[0, tokens.Length - 1], Gen.Char, Gen.Int[1, 40], (k, p, t, c, n) => new TextEdit(k, p, t, c, n))
                .Array[0, maxEdits],
            (i, edits) => Apply(seeds[i], tokens, edits));

    private static string Apply(string seed, string[] tokens, TextEdit[] edits)
    {
        var s = new StringBuilder(seed);
        foreach (var e in edits)
        {
            var pos = e.Position % (s.Length + 1);
            switch (e.Kind)
            {
                case 0:
                case 1:
                    s.Insert(pos, tokens[e.Token]);
                    break;
                case 2 when pos < s.Length:
                    s.Remove(pos, 1).Insert(pos, tokens[e.Token]);
                    break;
                case 3:
                    s.Insert(pos, e.Char);
                    break;
                case 4:
                    s.Remove(pos, Math.Min(e.Length, s.Length - pos));
                    break;
                case 5:
                    var slice = s.ToString(pos, Math.Min(e.Length, s.Length - pos));
                    s.Insert(pos, string.Concat(Enumerable.Repeat(slice, 1 + (e.Token % 3))));
                    break;
                case 6:
                    var lines = s.ToString().Split('\n');
                    if (lines.Length > 1)
                    {
                        var a = e.Position % lines.Length;
                        var b = e.Token % lines.Length;
                        (lines[a], lines[b]) = (lines[b], lines[a]);
                        s.Clear().AppendJoin('\n', lines);
                    }

                    break;
                default:
                    s.Length = pos;
                    break;
            }
        }

        return s.ToString();
    }

    /// <summary>A string for failure reports: escaped, cut at 2000 characters.</summary>
    public static string Show(string s)
    {
        var shown = s.Length <= 2000 ? s : s[..2000] + $"... ({s.Length} chars)";
        var b = new StringBuilder("\"");
        foreach (var c in shown)
        {
            b.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '"' => "\\\"",
                '\\' => "\\\\",
                _ when c < ' ' || char.IsSurrogate(c) || c > '~' => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return b.Append('"').ToString();
    }
}
