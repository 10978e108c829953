using System.Collections.Concurrent;

namespace SevShim.Qemu;

/// <summary>
/// Runs process starts on one thread that lives as long as the shim. Reason: QEMU is started
/// under <c>setpriv --pdeathsig KILL</c> so it dies with the shim, and Linux sends the
/// parent-death signal when the <em>thread</em> that forked the child exits, not the process
/// (prctl(2) PR_SET_PDEATHSIG). A thread-pool thread may retire while the pod still runs; this
/// thread never does.
/// </summary>
internal static class DedicatedSpawnThread
{
    private static readonly BlockingCollection<Action> Work = [];
    private static readonly Lazy<Thread> Runner = new(StartRunner, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Runs <paramref name="start"/> on the spawn thread and returns its result.</summary>
    public static Task<T> RunAsync<T>(Func<T> start)
    {
        ArgumentNullException.ThrowIfNull(start);
        _ = Runner.Value;
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Work.Add(() =>
        {
            try
            {
                done.SetResult(start());
            }
#pragma warning disable CA1031 // Every failure belongs to the caller, never to the spawn thread.
            catch (Exception ex)
#pragma warning restore CA1031
            {
                done.SetException(ex);
            }
        });
        return done.Task;
    }

    private static Thread StartRunner()
    {
        var thread = new Thread(() =>
        {
            foreach (var item in Work.GetConsumingEnumerable())
            {
                item();
            }
        })
        {
            IsBackground = true,
            Name = "sevshim-spawn",
        };
        thread.Start();
        return thread;
    }
}
