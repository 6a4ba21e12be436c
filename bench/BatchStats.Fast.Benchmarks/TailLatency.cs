using System;
using System.Diagnostics;
using System.Threading;
using BatchStats.Fast.Baseline;

namespace BatchStats.Fast.Benchmarks;

/// <summary>
/// Writer tail latency while a reader snapshots continuously (not a BenchmarkDotNet job): one thread times every
/// Update with Stopwatch while another calls GetStats in a loop with cacheValidTime 0. Both trackers are timed the
/// same way, so the clock-read overhead (two Stopwatch reads per sample) is in every figure alike.
/// </summary>
internal static class TailLatency
{
    public readonly record struct Result(string Name, long Samples, long Snapshots, double P50, double P98, double P99, double P999, double Max);

    public static Result Run(string name, IBatchStats stats, TimeSpan duration)
    {
        const int Capacity = 1 << 23;
        long[] durations = new long[Capacity];
        using var stop = new CancellationTokenSource();
        long snapshots = 0;
        var reader = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                stats.GetStats();
                snapshots++;
            }
        })
        { IsBackground = true, Name = "tail-reader" };

        var writerDone = new ManualResetEventSlim();
        long count = 0;
        var writer = new Thread(() =>
        {
            long end = Stopwatch.GetTimestamp() + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            long i = 0;
            while (i < Capacity)
            {
                long t0 = Stopwatch.GetTimestamp();
                stats.Update(new BatchSample(0.001 * (1 + (i & 15)), (int)(i & 31) + 1, 0.0001, 0.002, (int)(i & 7), t0));
                long t1 = Stopwatch.GetTimestamp();
                durations[i++] = t1 - t0;
                if (t1 > end)
                {
                    break;
                }
            }

            count = i;
            writerDone.Set();
        })
        { IsBackground = true, Name = "tail-writer" };

        stats.Update(new BatchSample(0.001, 1, 0, 0, 0, Stopwatch.GetTimestamp())); // warm up both paths
        stats.GetStats();
        reader.Start();
        writer.Start();
        writerDone.Wait();
        stop.Cancel();
        reader.Join();

        long[] measured = durations[..(int)count];
        Array.Sort(measured);
        double Ns(long ticks) => ticks * 1e9 / Stopwatch.Frequency;
        long At(double q) => measured[(int)Math.Min(count - 1, Math.Floor(q * (count - 1)))];
        return new Result(name, count, snapshots, Ns(At(0.5)), Ns(At(0.98)), Ns(At(0.99)), Ns(At(0.999)), Ns(measured[^1]));
    }

    public static void Print(TimeSpan duration, int window)
    {
        Result lockFree = Run("LockFreeBatchStats", new LockFreeBatchStats(window, 0), duration);
        Result locked = Run("LockedBatchStats", new LockedBatchStats(window, 0), duration);
        Console.WriteLine($"Writer latency per Update while a reader snapshots continuously (window {window}, cacheValidTime 0, {duration.TotalSeconds:F0} s each; includes two Stopwatch reads):");
        Console.WriteLine();
        Console.WriteLine("| Tracker | updates | snapshots | p50 ns | p98 ns | p99 ns | p99.9 ns | max ns |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (Result r in new[] { lockFree, locked })
        {
            Console.WriteLine($"| {r.Name} | {r.Samples:N0} | {r.Snapshots:N0} | {r.P50:F0} | {r.P98:F0} | {r.P99:F0} | {r.P999:F0} | {r.Max:F0} |");
        }

        Console.WriteLine();
        Console.WriteLine($"p99.9 ratio locked / lock-free: {locked.P999 / lockFree.P999:F1}x; p99: {locked.P99 / lockFree.P99:F1}x");
    }
}
