using System.Runtime.InteropServices;
using System.Text;
using SevRuntime.Posix;

namespace SevAgent.Hosting;

/// <summary>
/// Writes whole lines to fd 2 (the guest console) with write(2), one call per line where the
/// tty takes it. Not System.Console: on a terminal, Console's first use reads the terminfo
/// database and sets up terminal and signal handling, which under TCG was a measurable piece of
/// the agent's start-up (issue #6), and the agent needs none of it.
/// </summary>
internal static class StderrWriter
{
    /// <summary>Writes <paramref name="line"/> and a newline; errors are dropped (there is nowhere else to report them).</summary>
    public static unsafe void WriteLine(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        fixed (byte* p = bytes)
        {
            var done = 0;
            while (done < bytes.Length)
            {
                var n = Posix.write(2, p + done, (nuint)(bytes.Length - done));
                if (n > 0)
                {
                    done += (int)n;
                }
                else if (n < 0 && Marshal.GetLastPInvokeError() == Posix.EINTR)
                {
                    continue;
                }
                else
                {
                    return;
                }
            }
        }
    }

    /// <summary>"HH:mm:ss.fff" of <paramref name="utc"/>, formatted by hand (no DateTime format machinery on the start-up path).</summary>
    public static string Timestamp(DateTime utc) =>
        string.Create(12, utc, static (span, t) =>
        {
            Two(span, 0, t.Hour);
            span[2] = ':';
            Two(span, 3, t.Minute);
            span[5] = ':';
            Two(span, 6, t.Second);
            span[8] = '.';
            var ms = t.Millisecond;
            span[9] = (char)('0' + (ms / 100));
            span[10] = (char)('0' + (ms / 10 % 10));
            span[11] = (char)('0' + (ms % 10));
        });

    private static void Two(Span<char> span, int at, int value)
    {
        span[at] = (char)('0' + (value / 10));
        span[at + 1] = (char)('0' + (value % 10));
    }
}
