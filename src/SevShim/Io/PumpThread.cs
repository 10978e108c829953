namespace SevShim.Io;

/// <summary>
/// Runs one pump's blocking loop on its own thread (one per stream, so a slow FIFO reader or an
/// idle stdin only ever holds its own thread, never the thread pool) and exposes its end as a task.
/// </summary>
internal static class PumpThread
{
    /// <summary>Starts <paramref name="body"/> on a new background thread named <paramref name="name"/>.</summary>
    public static Task Run(string name, Action body)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                body();
                done.SetResult();
            }
#pragma warning disable CA1031 // The pump's failure is reported through its task.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                done.SetException(ex);
            }
        })
        {
            IsBackground = true,
            Name = name.Length > 15 ? name[..15] : name,
        };
        thread.Start();
        return done.Task;
    }
}
