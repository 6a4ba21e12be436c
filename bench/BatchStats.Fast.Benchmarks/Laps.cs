using System;
using System.Diagnostics;
using System.Threading;
using BatchStats.Fast.Internal;

namespace BatchStats.Fast.Benchmarks;

/// <summary>
/// <c>--laps [seconds]</c>: how often a reader's copy of a ring is lapped by its writer (and retried), and how often
/// the retries run out (the last-resort cut), for writers recording as fast as they can: single records, and
/// <c>UpdateMany</c> batches of 48 (window 192, the case that used to split batches) and of 4,096 (larger than
/// the ring's slack, so every copy that overlaps a batch is lapped). A reader alternates <c>CopyRecentSamples</c>
/// and <c>GetStats</c>; with an optional background thread streaming through a 128 MB array (memory pressure).
/// </summary>
internal static class Laps
{
    public static void Print(double seconds)
    {
        Console.WriteLine($"Reader copies lapped by a full-speed writer: {seconds:F0} s per row, window 192, cacheValidTime 0.");
        Console.WriteLine();
        Console.WriteLine("| Writer | memory streamer | reads | lapped copies (retried) | last-resort cuts | writer records/s |");
        Console.WriteLine("|---|---|---:|---:|---:|---:|");
        foreach (bool stream in new[] { false, true })
        {
            foreach ((string name, int batch) in new[] { ("Update (single records)", 1), ("UpdateMany(48)", 48), ("UpdateMany(4096)", 4096) })
            {
                Row(name, batch, stream, seconds);
            }
        }
    }

    private static void Row(string name, int batch, bool stream, double seconds)
    {
        var stats = new LockFreeBatchStats(192, 0);
        using var stop = new CancellationTokenSource();
        long records = 0;
        var writer = new Thread(() =>
        {
            var buffer = new BatchSample[batch];
            long ts = 0;
            while (!stop.IsCancellationRequested)
            {
                for (int i = 0; i < batch; i++)
                {
                    buffer[i] = new BatchSample(0.001, 1, 0.0001, 0.002, 1, ++ts);
                }

                if (batch == 1)
                {
                    stats.Update(in buffer[0]);
                }
                else
                {
                    stats.UpdateMany(buffer);
                }

                records += batch;
            }
        });
        var streamer = new Thread(() =>
        {
            var big = new long[16 << 20];
            while (stream && !stop.IsCancellationRequested)
            {
                for (int i = 0; i < big.Length; i += 8)
                {
                    big[i]++;
                }
            }
        });
        (long lapped0, long cuts0) = WriterRing.CopyStatistics;
        writer.Start();
        streamer.Start();
        var samples = new BatchSample[192];
        long reads = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            stats.CopyRecentSamples(samples);
            stats.GetStats();
            reads += 2;
        }

        stop.Cancel();
        writer.Join();
        streamer.Join();
        (long lapped, long cuts) = WriterRing.CopyStatistics;
        Console.WriteLine($"| {name} | {(stream ? "yes" : "no")} | {reads:N0} | {lapped - lapped0:N0} | {cuts - cuts0:N0} | {records / clock.Elapsed.TotalSeconds:N0} |");
    }
}
