namespace SevBench;

/// <summary>An RGB pixel buffer with filled rectangles and text in <see cref="BitmapFont"/>.</summary>
internal sealed class Canvas
{
    private readonly byte[] _rgb;

    public Canvas(int width, int height, uint background)
    {
        Width = width;
        Height = height;
        _rgb = new byte[width * height * 3];
        Fill(0, 0, width, height, background);
    }

    public int Width { get; }

    public int Height { get; }

    public void Fill(int x, int y, int w, int h, uint colour)
    {
        for (var row = Math.Max(0, y); row < Math.Min(Height, y + h); row++)
        {
            for (var col = Math.Max(0, x); col < Math.Min(Width, x + w); col++)
            {
                var i = ((row * Width) + col) * 3;
                _rgb[i] = (byte)(colour >> 16);
                _rgb[i + 1] = (byte)(colour >> 8);
                _rgb[i + 2] = (byte)colour;
            }
        }
    }

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (x, y); returns the width used.</summary>
    public int Text(int x, int y, string text, uint colour, int scale = 2)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cx = x;
        foreach (var ch in text)
        {
            var glyph = BitmapFont.Glyph(ch);
            for (var gy = 0; gy < BitmapFont.Height; gy++)
            {
                for (var gx = 0; gx < BitmapFont.Width; gx++)
                {
                    if (glyph[gy][gx] != ' ')
                    {
                        Fill(cx + (gx * scale), y + (gy * scale), scale, scale, colour);
                    }
                }
            }

            cx += (BitmapFont.Width + 1) * scale;
        }

        return cx - x;
    }

    public static int TextWidth(string text, int scale = 2) => (text?.Length ?? 0) * (BitmapFont.Width + 1) * scale;

    public void Save(string path) => Png.Write(path, Width, Height, _rgb);
}
