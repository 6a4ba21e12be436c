using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using BatchStats.Fast.Internal.Kernels;

namespace BatchStats.Fast.Benchmarks;

/// <summary>
/// <c>--churn [threads]</c>: the latency of a new writer thread's first record (its ring registration) under thread
/// churn against a large window. Short-lived threads, four at a time, each record <see cref="PerThread"/> samples
/// and exit; the first record of each is timed. Run once with no reader and once with a monitor calling
/// <c>GetStats</c> every 10 ms. A timed distribution, not a BenchmarkDotNet case: registration happens once per
/// thread, so there is nothing to repeat.
/// </summary>
internal static class Churn
{
    private const int Window = 20_000;
    private const int PerThread = 100;
    private const int Concurrency = 4;

    public static void Print(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, Concurrency);
        Console.WriteLine($"Thread churn: {threads:N0} threads, {Concurrency} at a time, {PerThread} records each; window {Window:N0}.");
        Console.WriteLine("First record of each thread (registers its ring), in µs.");
        Console.WriteLine();
        Console.WriteLine("| Reader | p50 | p90 | p99 | max | mean | rings at the end | gen-2 GCs |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        Run(threads, withReader: false); // warm-up: JIT and the thread pool's stacks
        foreach (bool withReader in new[] { false, true })
        {
            int gcs = GC.CollectionCount(2);
            (List<double> firsts, int rings) = Run(threads, withReader);
            gcs = GC.CollectionCount(2) - gcs;
            double[] sorted = [.. firsts.Order()];
            Console.WriteLine(
                $"| {(withReader ? "GetStats every 10 ms" : "none")} | {Q(sorted, 50):F1} | {Q(sorted, 90):F1} | {Q(sorted, 99):F1} | " +
                $"{sorted[^1]:F1} | {firsts.Average():F1} | {rings} | {gcs} |");
        }
    }

    private static (List<double> Firsts, int Rings) Run(int threads, bool withReader)
    {
        var stats = new LockFreeBatchStats(Window, 0.001);
        var firsts = new List<double>(threads);
        long stamp = 0;
        using var stop = new ManualResetEventSlim();
        var reader = new Thread(() =>
        {
            while (withReader && !stop.Wait(10))
            {
                stats.GetStats();
            }
        });
        reader.Start();
        for (int group = 0; group < threads / Concurrency; group++)
        {
            var times = new double[Concurrency];
            Thread[] batch = [.. Enumerable.Range(0, Concurrency).Select(i => new Thread(() =>
            {
                long t0 = Stopwatch.GetTimestamp();
                stats.Update(new BatchSample(0.001, 1, 0.0001, 0.002, 1, Interlocked.Increment(ref stamp)));
                times[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
                for (int r = 1; r < PerThread; r++)
                {
                    stats.Update(new BatchSample(0.001, 1, 0.0001, 0.002, 1, Interlocked.Increment(ref stamp)));
                }
            }))];
            Array.ForEach(batch, t => t.Start());
            Array.ForEach(batch, t => t.Join());
            firsts.AddRange(times);
        }

        stop.Set();
        reader.Join();
        return (firsts, stats.RingCount);
    }

    private static double Q(double[] sorted, double percent)
    {
        (int lower, int upper, double gamma) = Percentiles.Position(sorted.Length, percent);
        return Percentiles.Lerp(sorted[lower], sorted[upper], gamma);
    }
}
