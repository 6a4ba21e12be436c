using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// Real threads. Every sample is derived from one number so that a torn or mixed sample shows:
/// BatchSize = QueueLength = b, ProcessingTime = b·2⁻²⁰, QueueTime = 2·ProcessingTime, Latency = 4·ProcessingTime.
/// Scaling by powers of two is exact in binary floating point, so for any window of intact samples
/// AvgQueueTime == 2·AvgProcessingTime, P95Latency == 4·P95ProcessingTime and Throughput == 2²⁰ exactly.
/// </summary>
public sealed class LockFreeBatchStatsConcurrencyTests
{
    private const double Unit = 1.0 / (1 << 20);

    internal static BatchSample Linked(long timestamp)
    {
        int b = (int)(timestamp % 997) + 1;
        double pt = b * Unit;
        return new BatchSample(pt, b, 2 * pt, 4 * pt, b, timestamp);
    }

    private static void AssertIntact(BatchSample s)
    {
        Assert.Equal(Linked(s.Timestamp), s);
    }

    private static void AssertConsistent(BatchStatsSnapshot s, int window)
    {
        Assert.InRange(s.WindowCount, 0, window);
        Assert.True(s.WindowCount <= s.BatchCount);
        if (s.WindowCount == 0)
        {
            return;
        }

        Assert.Equal(2 * s.AvgProcessingTime, s.AvgQueueTime);
        Assert.Equal(4 * s.AvgProcessingTime, s.AvgLatency);
        Assert.Equal(4 * s.P95ProcessingTime, s.P95Latency);
        Assert.Equal(4 * s.P99ProcessingTime, s.P99Latency);
        Assert.Equal(s.AvgBatchSize, s.AvgQueueLength);
        Assert.Equal(s.MaxBatchSize, s.MaxQueueLength);
        Assert.Equal(s.MaxBatchSize * Unit, s.MaxProcessingTime);
        Assert.Equal(s.MinBatchSize * Unit, s.MinProcessingTime);
        Assert.Equal(1 << 20, s.Throughput);
        Assert.True(s.AvgBatchSize * s.WindowCount <= s.TotalProcessed + 1e-6);
    }

    [Theory]
    [InlineData(2, 64, 200_000, false)]
    [InlineData(4, 1000, 100_000, false)]
    [InlineData(3, 100, 60_000, true)]
    public void WritersAndReaderRace_SnapshotsConsistent_FinalWindowExact(int writers, int window, int perWriter, bool useUpdateMany)
    {
        var stats = new LockFreeBatchStats(window, 0);
        using var done = new CountdownEvent(writers);
        var threads = Enumerable.Range(0, writers).Select(w => new Thread(() =>
        {
            Span<BatchSample> batch = stackalloc BatchSample[7];
            for (long i = 0; i < perWriter;)
            {
                if (useUpdateMany && perWriter - i >= batch.Length)
                {
                    for (int j = 0; j < batch.Length; j++)
                    {
                        batch[j] = Linked(((i + j) * writers) + w + 1);
                    }

                    stats.UpdateMany(batch);
                    i += batch.Length;
                }
                else
                {
                    stats.Update(Linked((i * writers) + w + 1));
                    i++;
                }
            }

            done.Signal();
        })).ToList();
        threads.ForEach(t => t.Start());

        long lastCount = 0, lastProcessed = 0;
        int snapshots = 0;
        var samples = new BatchSample[window];
        while (!done.IsSet || snapshots < 10)
        {
            BatchStatsSnapshot s = stats.GetStats();
            AssertConsistent(s, window);
            Assert.True(s.BatchCount >= lastCount, "batch_count went backwards");
            Assert.True(s.TotalProcessed >= lastProcessed, "total_processed went backwards");
            (lastCount, lastProcessed) = (s.BatchCount, s.TotalProcessed);
            int copied = stats.CopyRecentSamples(samples);
            for (int i = 0; i < copied; i++)
            {
                AssertIntact(samples[i]);
                Assert.True(i == 0 || samples[i - 1].Timestamp < samples[i].Timestamp);
            }

            snapshots++;
        }

        threads.ForEach(t => t.Join());
        BatchStatsSnapshot final = stats.GetStats();
        long total = (long)writers * perWriter;
        Assert.Equal(total, final.BatchCount);
        Assert.Equal(Enumerable.Range(1, (int)total).Sum(t => (long)Linked(t).BatchSize), final.TotalProcessed);
        Assert.Equal(window, stats.CopyRecentSamples(samples));
        Assert.Equal(Enumerable.Range((int)total - window + 1, window).Select(t => (long)t), samples.Select(s => s.Timestamp));
        Assert.All(samples, AssertIntact);
    }

    [Fact]
    public void ConcurrentReaders_SharedSnapshotCache_NeverServeAnOlderOrTornEntry()
    {
        // Readers race to publish into and read from the one snapshot cache. The writer records one sample at a time
        // and waits for the readers to read before the next, so most reads find the rings unchanged and are answered
        // from the cache, often while another reader is publishing. A torn cache read (a new version with an older
        // snapshot) would answer with a snapshot that misses a record completed before the read began.
        const int Readers = 2, Records = 1_000, Window = 64;
        var stats = new LockFreeBatchStats(Window, 0);
        long recorded = 0, reads = 0;
        bool done = false;
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var readers = Enumerable.Range(0, Readers).Select(_ => new Thread(() =>
        {
            long last = 0;
            while (!Volatile.Read(ref done))
            {
                long before = Volatile.Read(ref recorded);
                BatchStatsSnapshot s = stats.GetStats();
                if (s.BatchCount < before || s.BatchCount < last)
                {
                    failures.Enqueue($"batch_count {s.BatchCount} after {before} records completed (previous read {last})");
                }

                last = s.BatchCount;
                Interlocked.Increment(ref reads);
            }
        })).ToList();
        readers.ForEach(t => t.Start());
        for (int i = 1; i <= Records && failures.IsEmpty; i++)
        {
            stats.Update(Linked(i));
            Volatile.Write(ref recorded, i);
            long target = Volatile.Read(ref reads) + Readers;
            var spin = new SpinWait();
            while (Volatile.Read(ref reads) < target)
            {
                spin.SpinOnce(sleep1Threshold: -1); // yields, so the readers get the CPU on a small machine
            }
        }

        Volatile.Write(ref done, true);
        readers.ForEach(t => t.Join());

        Assert.Empty(failures);
        BatchStatsSnapshot final = stats.GetStats();
        Assert.Equal(Records, final.BatchCount);
        AssertConsistent(final, Window);
        Assert.Same(final, stats.GetStats()); // nothing recorded since: the cache serves the same instance
    }

    [Fact]
    public void ThreadChurn_ThousandsOfShortLivedThreads_KeepsInWindowSamplesAndBoundedRings()
    {
        const int Threads = 2000, PerThread = 3, Concurrency = 4, Window = 500;
        var stats = new LockFreeBatchStats(Window, 0);
        long next = 0;
        for (int group = 0; group < Threads / Concurrency; group++)
        {
            var batch = Enumerable.Range(0, Concurrency).Select(_ => new Thread(() =>
            {
                for (int i = 0; i < PerThread; i++)
                {
                    stats.Update(Linked(Interlocked.Increment(ref next)));
                }
            })).ToList();
            batch.ForEach(t => t.Start());
            batch.ForEach(t => t.Join());
        }

        long total = Threads * PerThread;
        BatchStatsSnapshot s = stats.GetStats();
        Assert.Equal(total, s.BatchCount);
        Assert.Equal(Window, s.WindowCount);
        var samples = new BatchSample[Window];
        Assert.Equal(Window, stats.CopyRecentSamples(samples));
        Assert.Equal(Enumerable.Range((int)(total - Window + 1), Window).Select(t => (long)t), samples.Select(x => x.Timestamp));
        // A dead thread's ring is reused once all its samples left the window: at most the live threads plus the
        // dead threads with an in-window sample (Window / PerThread of them) hold a ring, whatever the churn.
        Assert.InRange(stats.RingCount, 1, Concurrency + (Window / PerThread) + 1);
    }

    [Fact]
    public void DeadThreadSamples_StayUntilTheyLeaveTheWindow()
    {
        var stats = new LockFreeBatchStats(10, 0);
        var t = new Thread(() =>
        {
            for (int i = 1; i <= 4; i++)
            {
                stats.Update(Linked(i));
            }
        });
        t.Start();
        t.Join();
        Assert.Equal(4, stats.GetStats().WindowCount);
        for (int i = 5; i <= 14; i++)
        {
            stats.Update(Linked(i));
        }

        var samples = new BatchSample[10];
        Assert.Equal(10, stats.CopyRecentSamples(samples));
        Assert.Equal(Enumerable.Range(5, 10).Select(x => (long)x), samples.Select(s => s.Timestamp));
    }

    /// <summary>
    /// Several live writers with unique but arbitrarily ordered stamps (some threads' stamps go backwards): the window
    /// is the newest WindowSize by timestamp among each writer's last WindowSize records — the sorted-runs fast path
    /// and the general selection must agree with that model.
    /// </summary>
    [Property(MaxTest = 40)]
    public Property UnorderedStampsAcrossWriters_WindowMatchesModel() =>
        Prop.ForAll(
            Gen.Choose(2, 4).SelectMany(k => Gen.Choose(0, 60).ArrayOf(k)).ToArbitrary(),
            Gen.Choose(1, 40).ToArbitrary(),
            Gen.Choose(0, 1000).ToArbitrary(),
            (counts, window, seed) =>
            {
                var rng = new Random(seed);
                long[] pool = Enumerable.Range(1, counts.Sum()).Select(i => (long)i).OrderBy(_ => rng.Next()).ToArray();
                var perWriter = new List<long[]>();
                int offset = 0;
                foreach (int c in counts)
                {
                    long[] stamps = pool.Skip(offset).Take(c).ToArray();
                    if (rng.Next(2) == 0)
                    {
                        Array.Sort(stamps); // some writers in order, some not
                    }

                    perWriter.Add(stamps);
                    offset += c;
                }

                var stats = new LockFreeBatchStats(window, 0);
                using var registered = new Barrier(counts.Length);
                var threads = perWriter.Select(stamps => new Thread(() =>
                {
                    stats.RecordError(1, 1); // register this thread's ring while every writer is alive
                    registered.SignalAndWait();
                    foreach (long t in stamps)
                    {
                        stats.Update(Linked(t));
                    }
                })).ToList();
                threads.ForEach(t => t.Start());
                threads.ForEach(t => t.Join());

                var expected = perWriter.SelectMany(st => st.Skip(Math.Max(0, st.Length - window))).Order().ToList();
                expected = expected.Skip(Math.Max(0, expected.Count - window)).ToList();
                var got = new BatchSample[window];
                int n = stats.CopyRecentSamples(got);
                return got.Take(n).Select(x => x.Timestamp).SequenceEqual(expected) && stats.GetStats().WindowCount == expected.Count;
            });

    /// <summary>
    /// Random interleavings on real threads: each writer gets a random history of caller-stamped samples (globally
    /// unique stamps); after joining, the window equals the reference's newest-N by timestamp and the counters add up.
    /// </summary>
    [Property(MaxTest = 25)]
    public Property RandomConcurrentHistories_FinalStateMatchesReference() =>
        Prop.ForAll(
            Gen.Choose(1, 40).ArrayOf().Where(a => a.Length is > 0 and <= 4).ToArbitrary(),
            Gen.Choose(1, 50).ToArbitrary(),
            (perWriter, window) =>
            {
                var stats = new LockFreeBatchStats(window, 0);
                int writers = perWriter.Length;
                var threads = perWriter.Select((count, w) => new Thread(() =>
                {
                    for (int i = 0; i < count; i++)
                    {
                        stats.Update(Linked(((long)i * writers) + w + 1));
                        if (i % 5 == 4)
                        {
                            stats.RecordError();
                        }
                    }
                })).ToList();
                threads.ForEach(t => t.Start());
                BatchStatsSnapshot during = stats.GetStats();
                AssertConsistent(during, window);
                threads.ForEach(t => t.Join());

                var all = perWriter.SelectMany((count, w) => Enumerable.Range(0, count).Select(i => ((long)i * writers) + w + 1)).Order().ToList();
                var expectedWindow = all.Skip(Math.Max(0, all.Count - window)).ToList();
                var got = new BatchSample[window];
                int n = stats.CopyRecentSamples(got);
                BatchStatsSnapshot s = stats.GetStats();
                return n == expectedWindow.Count
                    && got.Take(n).Select(x => x.Timestamp).SequenceEqual(expectedWindow)
                    && s.BatchCount == all.Count
                    && s.TotalErrors == perWriter.Sum(c => c / 5)
                    && s.TotalProcessed == all.Sum(t => (long)Linked(t).BatchSize);
            });
}
