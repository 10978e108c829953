using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace SevAgent.Hosting;

/// <summary>
/// Where the agent's start-up time goes (issue #6: under TCG it is most of the guest's boot):
/// named marks taken from Main's first line, the guest uptime at Main (to set against the
/// image's init line "agent start at N s": exec to Main is the runtime's own start-up), and
/// whether a garbage collection ran. Summarised in one log line once the agent serves. Not
/// thread-safe: only the start-up path marks.
/// </summary>
internal sealed class StartupTrace
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly StringBuilder _marks = new();
    private readonly long _mainAtMs = (long)(Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency);
    private long _last;

    /// <summary>Milliseconds from Main's first line.</summary>
    public long ElapsedMilliseconds => _clock.ElapsedMilliseconds;

    /// <summary>Records the time since the previous mark under <paramref name="name"/>.</summary>
    public void Mark(string name)
    {
        var now = _clock.ElapsedMilliseconds;
        _marks.Append(CultureInfo.InvariantCulture, $"{(_marks.Length == 0 ? string.Empty : ", ")}{name} {now - _last}");
        _last = now;
    }

    /// <summary>
    /// "main at N ms of uptime; a N, b N ... ms; N gen0 collections, N KiB allocated". Stopwatch
    /// reads CLOCK_MONOTONIC, which counts from boot like /proc/uptime (without suspend time,
    /// which a guest being started never has).
    /// </summary>
    public string Summary() =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"main at {_mainAtMs} ms of uptime; {_marks} ms; {GC.CollectionCount(0)} gen0 collections, {GC.GetTotalAllocatedBytes() / 1024} KiB allocated");
}
