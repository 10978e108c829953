using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using CsCheck;
using Xunit.Abstractions;

namespace Fuzz.Tests.Harness;

/// <summary>
/// Runs one fuzz target: CsCheck generates (and on failure shrinks) the inputs, and every input
/// must give a result or an exception the target allows, within a time bound and an allocation
/// cap. A hang is caught by a watchdog (the input still running after <see cref="FuzzTarget{T}.HangAfter"/>
/// fails the test with that input); a slow or allocation-hungry input fails after it returns, so
/// CsCheck shrinks it. The run's count and rate go to the test output and to FUZZ_REPORT.
/// </summary>
internal static class Fuzzer
{
    private static readonly Lock ReportLock = new();

    public static async Task RunAsync<T>(FuzzTarget<T> target, ITestOutputHelper output)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(output);
        var iterations = FuzzSettings.Iterations(target.ShortRun);
        var running = new ConcurrentDictionary<int, (long Start, T Input)>();
        long accepted = 0;
        long rejected = 0;
        var rejections = new ConcurrentDictionary<string, long>(StringComparer.Ordinal);

        // One run of the input: its time and allocation (all threads' for async targets).
        (TimeSpan Elapsed, long Allocated) Measure(T input, bool count)
        {
            var thread = Environment.CurrentManagedThreadId;
            var start = Stopwatch.GetTimestamp();
            running[thread] = (start, input);
            var before = target.AllThreads ? GC.GetTotalAllocatedBytes(precise: true) : GC.GetAllocatedBytesForCurrentThread();
            try
            {
                target.Body(input);
                if (count)
                {
                    Interlocked.Increment(ref accepted);
                }
            }
            catch (Exception ex) when (target.Allowed(ex))
            {
                if (count)
                {
                    Interlocked.Increment(ref rejected);
                    rejections.AddOrUpdate(ex.GetType().Name, 1, (_, n) => n + 1);
                }
            }
            finally
            {
                running.TryRemove(thread, out _);
            }

            var allocated = (target.AllThreads ? GC.GetTotalAllocatedBytes(precise: true) : GC.GetAllocatedBytesForCurrentThread()) - before;
            return (Stopwatch.GetElapsedTime(start), allocated);
        }

        void One(T input)
        {
            var (elapsed, allocated) = Measure(input, count: true);
            var cap = target.AllocationCap(input);

            // Over a bound: run the input twice more and keep the best of the three. A slow or
            // allocation-hungry input is so every time; the machine's load, a GC or (for async
            // targets) other threads' allocations are not (a 5-byte ttrpc input once "allocated"
            // 8 MiB in a 1M-input run).
            for (var again = 0; again < 2 && (elapsed > target.TimeLimit || allocated > cap); again++)
            {
                var (e, a) = Measure(input, count: false);
                elapsed = e < elapsed ? e : elapsed;
                allocated = Math.Min(a, allocated);
            }

            if (elapsed > target.TimeLimit)
            {
                throw new FuzzFailureException($"{target.Name}: one input took {elapsed.TotalMilliseconds:F0} ms (best of three), over the bound of {target.TimeLimit.TotalMilliseconds:F0} ms");
            }

            if (allocated > cap)
            {
                throw new FuzzFailureException($"{target.Name}: one input allocated {allocated} bytes (least of three runs), over the cap of {cap}");
            }
        }

        var clock = Stopwatch.StartNew();
        Action sample = FuzzSettings.FixedInputs
            ? () => SampleFixed(target, One, iterations)
            : () => target.Gen.Sample(One, seed: FuzzSettings.Seed, iter: iterations, threads: target.Threads, print: target.Print);
        var sampling = Task.Factory.StartNew(
            sample,
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        while (!sampling.IsCompleted)
        {
            await Task.WhenAny(sampling, Task.Delay(100));
            foreach (var (_, (start, input)) in running)
            {
                if (Stopwatch.GetElapsedTime(start) > target.HangAfter)
                {
                    throw new FuzzFailureException(
                        $"{target.Name}: hang, an input still runs after {target.HangAfter.TotalSeconds:F0} s: {target.Print(input)}");
                }
            }
        }

        await sampling;
        clock.Stop();
        var total = accepted + rejected;
        var why = string.Join(", ", rejections.OrderByDescending(r => r.Value).Select(r => $"{r.Key} {r.Value}"));
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"{target.Name}: {total} inputs in {clock.Elapsed.TotalSeconds:F1} s ({total / Math.Max(clock.Elapsed.TotalSeconds, 0.001):F0}/s); {accepted} accepted, {rejected} rejected ({(why.Length > 0 ? why : "none")})");
        output.WriteLine(line);
        if (FuzzSettings.ReportPath is { } path)
        {
            lock (ReportLock)
            {
                File.AppendAllText(path, line + Environment.NewLine);
            }
        }

        Assert.Equal(iterations, total);
    }

    /// <summary>
    /// The fixed inputs (CI): input i comes from its own PCG seeded from i, so every run sees the
    /// same inputs and a run fails only for a change in the code. There is no shrinking here; the
    /// failure names the input's CsCheck seed, and FUZZ_SEED=&lt;it&gt; replays it with shrinking.
    /// </summary>
    private static void SampleFixed<T>(FuzzTarget<T> target, Action<T> one, long iterations)
    {
        var threads = target.Threads > 0 ? target.Threads : Environment.ProcessorCount;
        Parallel.For(0L, iterations, new ParallelOptions { MaxDegreeOfParallelism = threads }, i =>
        {
            var pcg = new PCG(FixedStream, unchecked(FixedSeed + ((ulong)i * 0x9E3779B97F4A7C15UL)));
            var seed = pcg.ToString();
            var input = target.Gen.Generate(pcg, null!, out _);
            try
            {
                one(input);
            }
            catch (Exception ex)
            {
                throw new FuzzFailureException(
                    $"{target.Name}: fixed input {i} failed; replay it with FUZZ_SEED={seed} (and FUZZ_RANDOM=1): {target.Print(input)}", ex);
            }
        });
    }

    private const uint FixedStream = 11;
    private const ulong FixedSeed = 0x5E75_4119_0000_0001UL;

    /// <summary>Fails the input with <paramref name="what"/> unless <paramref name="ok"/>.</summary>
    public static void Require(bool ok, string what)
    {
        if (!ok)
        {
            throw new FuzzFailureException(what);
        }
    }

    /// <summary>Runs <paramref name="work"/> with a token that fires after <paramref name="limit"/>; a run past it is a hang.</summary>
    public static void Bounded(TimeSpan limit, Func<CancellationToken, Task> work)
    {
        using var cts = new CancellationTokenSource(limit);
        var task = work(cts.Token);
        try
        {
            task.WaitAsync(limit + limit).GetAwaiter().GetResult();
        }
        catch (TimeoutException)
        {
            throw new FuzzFailureException($"hang: the input was not handled within {limit.TotalSeconds:F0} s (and ignored its cancellation)");
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            throw new FuzzFailureException($"hang: the input was not handled within {limit.TotalSeconds:F0} s");
        }
    }
}

/// <summary>One fuzz target: its generator, what one input does and what counts as a clean failure.</summary>
/// <param name="Name">Printed in the report.</param>
/// <param name="Gen">The inputs (mutated seeds and fresh structures).</param>
/// <param name="Body">Handles one input; returns (or throws an allowed exception) when it is clean.</param>
/// <param name="Allowed">The project's own error types for bad input.</param>
/// <param name="Print">An input for failure reports.</param>
internal sealed record FuzzTarget<T>(string Name, Gen<T> Gen, Action<T> Body, Func<Exception, bool> Allowed, Func<T, string> Print)
{
    /// <summary>Inputs in the short run (FUZZ_ITERATIONS overrides).</summary>
    public long ShortRun { get; init; } = FuzzSettings.DefaultIterations;

    /// <summary>One input may not take longer (generous: the machine is shared).</summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>An input still running after this is a hang.</summary>
    public TimeSpan HangAfter { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The most bytes one input may allocate.</summary>
    public Func<T, long> AllocationCap { get; init; } = _ => 16L << 20;

    /// <summary>Count allocations of every thread (async targets; then run on one thread).</summary>
    public bool AllThreads { get; init; }

    /// <summary>CsCheck threads (-1: one per CPU).</summary>
    public int Threads { get; init; } = -1;
}

/// <summary>A fuzz property failed (hang, time or allocation bound, a value that breaks an invariant).</summary>
internal sealed class FuzzFailureException : Exception
{
    public FuzzFailureException()
    {
    }

    public FuzzFailureException(string message)
        : base(message)
    {
    }

    public FuzzFailureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
