using System;
using System.Diagnostics;
using BatchStats.Fast.Baseline;

namespace BatchStats.Fast.Benchmarks;

/// <summary>
/// <c>--quick</c>: a side-by-side table of the record path, the read path and the writer tail latency in well under
/// two minutes, with plain Stopwatch loops (indicative; the BenchmarkDotNet suites are the reference numbers).
/// </summary>
internal static class QuickMode
{
    public static void Run()
    {
        Console.WriteLine("BatchStats.Fast quick comparison (Stopwatch loops, medians of 5 runs; ratios are what matter)");
        Console.WriteLine();
        Console.WriteLine("Record path, aggregate ns per record (lower is better):");
        Console.WriteLine();
        Console.WriteLine("| threads | lock-free BatchStatsWriter | lock-free Update(in sample) | lock-free self-stamped | locked baseline | locked / writer | locked / Update |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int threads in new[] { 1, 2, 8 })
        {
            double writer = RecordNs(threads, new LockFreeBatchStats(1000, 1.0), Mode.Writer);
            double caller = RecordNs(threads, new LockFreeBatchStats(1000, 1.0), Mode.CallerStamped);
            double self = RecordNs(threads, new LockFreeBatchStats(1000, 1.0), Mode.SelfStamped);
            double locked = RecordNs(threads, new LockedBatchStats(1000, 1.0), Mode.CallerStamped);
            Console.WriteLine($"| {threads} | {writer:F1} | {caller:F1} | {self:F1} | {locked:F1} | {locked / writer:F1}x | {locked / caller:F1}x |");
        }

        Console.WriteLine();
        Console.WriteLine("Read path, µs per GetStats that recomputes (one Update of a random sample first, so the cache is stale;");
        Console.WriteLine("\"from scratch\": the same read merging every ring, as after a burst of more than ~window/4 samples):");
        Console.WriteLine();
        Console.WriteLine("| window | lock-free | lock-free from scratch | locked | locked / lock-free | locked / from scratch |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|");
        foreach (int window in new[] { 1_000, 10_000, 100_000 })
        {
            var tracker = new LockFreeBatchStats(window, 0);
            double lockFree = ReadUs(tracker, window, tracker.GetStats);
            var scratchTracker = new LockFreeBatchStats(window, 0);
            double scratch = ReadUs(scratchTracker, window, scratchTracker.GetStatsFromScratch);
            var lockedTracker = new LockedBatchStats(window, 0);
            double locked = ReadUs(lockedTracker, window, lockedTracker.GetStats);
            Console.WriteLine($"| {window:N0} | {lockFree:F1} | {scratch:F1} | {locked:F1} | {locked / lockFree:F1}x | {locked / scratch:F1}x |");
        }

        Console.WriteLine();
        TailLatency.Print(TimeSpan.FromSeconds(3), 1000);
    }

    private enum Mode
    {
        CallerStamped,
        Writer,
        SelfStamped,
    }

    private static double RecordNs(int threads, IBatchStats stats, Mode mode)
    {
        const int Total = 1 << 21;
        int perThread = Total / threads;
        using var team = new ThreadTeam(threads);
        long warmUntil = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 2);
        for (int warm = 0; warm < 50 || Stopwatch.GetTimestamp() < warmUntil; warm++)
        {
            // Register the rings and tier the loop up to optimized code: the runtime promotes a method only after a
            // call-counting delay (100 ms by default), so 50 short runs alone measured the first mode on unoptimized code.
            team.Run(_ => Record(stats, 2000, mode));
        }

        return Median(5, () =>
        {
            long t0 = Stopwatch.GetTimestamp();
            team.Run(_ => Record(stats, perThread, mode));
            return Stopwatch.GetElapsedTime(t0).TotalNanoseconds / Total;
        });
    }

    /// <summary>Dispatches once to a loop typed on the concrete tracker (an interface call per record would dominate).</summary>
    private static void Record(IBatchStats stats, int n, Mode mode)
    {
        switch (stats)
        {
            case LockFreeBatchStats lockFree when mode == Mode.Writer:
                BatchStatsWriter writer = lockFree.CreateWriter(); // this team thread's handle (the same one every run)
                for (int i = 0; i < n; i++)
                {
                    writer.Update(new BatchSample(0.001 * (1 + (i & 15)), i & 31, 0.0001, 0.002, i & 7, i + 1));
                }

                break;
            case LockFreeBatchStats lockFree when mode == Mode.SelfStamped:
                for (int i = 0; i < n; i++)
                {
                    lockFree.Update(0.001 * (1 + (i & 15)), i & 31, 0.0001, 0.002, i & 7);
                }

                break;
            case LockFreeBatchStats lockFree:
                for (int i = 0; i < n; i++)
                {
                    lockFree.Update(new BatchSample(0.001 * (1 + (i & 15)), i & 31, 0.0001, 0.002, i & 7, i + 1));
                }

                break;
            case LockedBatchStats locked:
                for (int i = 0; i < n; i++)
                {
                    locked.Update(new BatchSample(0.001 * (1 + (i & 15)), i & 31, 0.0001, 0.002, i & 7, i + 1));
                }

                break;
            default:
                throw new ArgumentException("unknown tracker", nameof(stats));
        }
    }

    private static double ReadUs(IBatchStats stats, int window, Func<BatchStatsSnapshot> read)
    {
        var rng = new Random(1);
        BatchSample Random(long stamp) =>
            new(rng.NextDouble() * 0.05, rng.Next(1, 64), rng.NextDouble() * 0.01, rng.NextDouble() * 0.06, rng.Next(0, 32), stamp);
        for (int i = 0; i < window; i++)
        {
            stats.Update(Random(i + 1));
        }

        var values = new BatchSample[4096];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Random(0);
        }

        long stamp = window + 1;
        int reps = Math.Max(5, 2_000_000 / window);
        // Warm up for half a second first: tiered compilation must promote the read path before it is timed.
        for (long t0 = Stopwatch.GetTimestamp(); Stopwatch.GetElapsedTime(t0).TotalMilliseconds < 500;)
        {
            stamp++;
            stats.Update(values[stamp & (values.Length - 1)] with { Timestamp = stamp });
            read();
        }

        return Median(5, () =>
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < reps; i++)
            {
                stamp++;
                stats.Update(values[stamp & (values.Length - 1)] with { Timestamp = stamp });
                read();
            }

            return Stopwatch.GetElapsedTime(t0).TotalMicroseconds / reps;
        });
    }

    private static double Median(int runs, Func<double> measure)
    {
        double[] results = new double[runs];
        for (int i = 0; i < runs; i++)
        {
            results[i] = measure();
        }

        Array.Sort(results);
        return results[runs / 2];
    }
}
