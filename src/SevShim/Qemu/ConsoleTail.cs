using System.Text;

namespace SevShim.Qemu;

/// <summary>Reads the last lines of the guest console log, for error messages (ARCHITECTURE decision 11).</summary>
internal static class ConsoleTail
{
    // Enough for a kernel panic trace or the init's FATAL line, small enough for one log event.
    private const int MaxBytes = 4096;

    /// <summary>The last <paramref name="lines"/> lines of <paramref name="path"/>, or a note when it cannot be read.</summary>
    public static string Read(string path, int lines = 25)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var start = Math.Max(0, stream.Length - MaxBytes);
            stream.Seek(start, SeekOrigin.Begin);
            var buffer = new byte[stream.Length - start];
            stream.ReadExactly(buffer);
            var text = Encoding.UTF8.GetString(buffer).Replace("\r", string.Empty, StringComparison.Ordinal);
            var all = text.Split('\n');
            var tail = all.Skip(Math.Max(0, all.Length - lines - 1)).Where(l => l.Length > 0).ToArray();
            return tail.Length == 0 ? "(the guest console is empty)" : string.Join('\n', tail);
        }
        catch (IOException ex)
        {
            return $"(guest console {path} unreadable: {ex.Message})";
        }
        catch (UnauthorizedAccessException ex)
        {
            return $"(guest console {path} unreadable: {ex.Message})";
        }
    }
}
