using System;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using BatchStats.Fast.Internal;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="LockFreeBatchStats"/>' reads racing its writers, made deterministic with the ring's test hooks: the
/// writer acts at the exact point of a copy, or holds a publication between its two halves while a reader reads.
/// </summary>
public sealed class LockFreeBatchStatsTests
{
    private const int Batch = 48;
    private const int Window = 192;

    /// <summary>
    /// One writer doing <c>UpdateMany</c> batches of 48 at window 192 laps the reader's first ten copies: both
    /// <c>CopyRecentSamples</c> and <c>GetStats</c> still return the full window of whole batches.
    /// </summary>
    [Fact]
    public void CopyRecentSamplesAndGetStats_WriterLapsTheirCopies_WholeBatchesAndAFullWindow()
    {
        var stats = new LockFreeBatchStats(Window, 0);
        long next = 0;
        void WriteBatches(int batches)
        {
            for (int b = 0; b < batches; b++, next += Batch)
            {
                stats.UpdateMany([.. Enumerable.Range(1, Batch).Select(i => LockFreeBatchStatsConcurrencyTests.Linked(next + i))]);
            }
        }

        WriteBatches(8);
        WriterRing ring = stats.CurrentRingForTests();
        int lapsLeft = 10;
        ring.BeforeCopy = () =>
        {
            if (lapsLeft-- > 0)
            {
                WriteBatches((ring.Capacity - Window) / Batch + 1); // more than the ring's slack
            }
        };

        var samples = new BatchSample[Window];
        Assert.Equal(Window, stats.CopyRecentSamples(samples));
        Assert.Equal(Enumerable.Range(1, Window).Select(i => LockFreeBatchStatsConcurrencyTests.Linked(next - Window + i)), samples);
        Assert.True(lapsLeft < 0);

        lapsLeft = 10;
        BatchStatsSnapshot snapshot = stats.GetStats();
        Assert.True(lapsLeft < 0);
        Assert.Equal(Window, snapshot.WindowCount);
        Assert.Equal(next, snapshot.BatchCount);
        ring.BeforeCopy = null;
        Assert.Equal(stats.GetStatsFromScratch().ToDictionary(), snapshot.ToDictionary());
    }

    /// <summary>
    /// A writer that laps every copy forces the last-resort cut; that window is never kept for the incremental
    /// reader, so the next (quiescent) read merges from scratch and gets the full window.
    /// </summary>
    [Fact]
    public void GetStats_LastResortCut_NeverSeedsTheIncrementalReader()
    {
        var stats = new LockFreeBatchStats(Window, 0);
        long next = 0;
        void WriteSingles(int count)
        {
            for (int i = 0; i < count; i++)
            {
                stats.Update(LockFreeBatchStatsConcurrencyTests.Linked(++next));
            }
        }

        WriteSingles(400);
        WriterRing ring = stats.CurrentRingForTests();
        ring.BeforeCopy = () => WriteSingles(ring.Capacity - Window + 10);
        BatchStatsSnapshot cutSnapshot = stats.GetStats();
        Assert.InRange(cutSnapshot.WindowCount, 1, Window - 1);
        ring.BeforeCopy = null;
        BatchStatsSnapshot quiet = stats.GetStats();
        Assert.Equal(Window, quiet.WindowCount);
        Assert.Equal(0, stats.IncrementalAdvances);
        Assert.Equal(stats.GetStatsFromScratch().ToDictionary(), quiet.ToDictionary());
        WriteSingles(5);
        Assert.Equal(stats.GetStatsFromScratch().ToDictionary(), stats.GetStats().ToDictionary());
        Assert.Equal(1, stats.IncrementalAdvances);
    }

    /// <summary>
    /// A reader that reads while a publication has staged its total but not yet moved Head must not count the total
    /// without the batches (or the batches without the total).
    /// </summary>
    [Fact]
    public void GetStats_PublicationBetweenItsTotalAndItsHead_CountersDescribeTheSamePublications()
    {
        var stats = new LockFreeBatchStats(Window, 0);
        BatchSample[] batch = [.. Enumerable.Range(1, Batch).Select(i => new BatchSample(0.01, 5, 0.001, 0.02, 1, i))];
        using var staged = new ManualResetEventSlim();
        using var read = new ManualResetEventSlim();
        var writer = new Thread(() =>
        {
            stats.UpdateMany(batch);
            stats.CurrentRingForTests().BeforePublish = () =>
            {
                staged.Set();
                read.Wait(TimeSpan.FromMilliseconds(300)); // a reader that waits for the publication is let through
            };
            stats.UpdateMany(batch);
        });
        writer.Start();
        staged.Wait();
        BatchStatsSnapshot s = stats.GetStats();
        read.Set();
        writer.Join();
        Assert.Equal(5 * s.BatchCount, s.TotalProcessed);
        Assert.Contains(s.BatchCount, new long[] { Batch, 2 * Batch });
        Assert.Equal(2 * Batch, stats.GetStats().BatchCount);
    }

    /// <summary>
    /// Registration takes no merge when readers have published a window cutoff that frees an exited thread's ring;
    /// only when none does (no read since) does the registering thread compute one, and then still reuses the ring.
    /// </summary>
    [Fact]
    public void Register_ExitedThreadsRing_ReusedByThePublishedCutoff_OrByOneComputedAtRegistration()
    {
        var stats = new LockFreeBatchStats(10, 0);
        void Record(long from, int count)
        {
            for (int i = 0; i < count; i++)
            {
                stats.Update(LockFreeBatchStatsConcurrencyTests.Linked(from + i));
            }
        }

        Record(100, 20); // ring 1: this thread's
        RunOnNewThread(() => Record(1, 5)); // ring 2, then its thread exits
        Assert.Equal(10, stats.GetStats().WindowCount); // publishes the cutoff 110
        RunOnNewThread(() => Record(200, 5)); // reuses ring 2: its samples (1..5) are below 110
        Assert.Equal(2, stats.RingCount);
        Assert.Equal(0, stats.RegistrarCutoffs);

        Record(300, 20); // no read since: the published cutoff (110) does not free ring 2 (200..204)
        RunOnNewThread(() => Record(400, 5));
        Assert.Equal(2, stats.RingCount);
        Assert.Equal(1, stats.RegistrarCutoffs);
        Assert.Equal(55, stats.GetStats().BatchCount);
        var samples = new BatchSample[10];
        Assert.Equal(10, stats.CopyRecentSamples(samples));
        Assert.Equal(new long[] { 315, 316, 317, 318, 319, 400, 401, 402, 403, 404 }, samples.Select(s => s.Timestamp));
    }

    /// <summary>
    /// While the window is not full every sample is in it, so a read publishes no cutoff from the window's oldest
    /// timestamp: an exited thread's ring whose samples are older than all the others is still not handed on.
    /// </summary>
    [Fact]
    public void Register_WindowNotFull_ExitedThreadsRingIsNotReused()
    {
        var stats = new LockFreeBatchStats(10, 0);
        stats.Update(LockFreeBatchStatsConcurrencyTests.Linked(100));
        Assert.Equal(1, stats.GetStats().WindowCount); // oldest 100, but the window is not full
        RunOnNewThread(() => stats.Update(LockFreeBatchStatsConcurrencyTests.Linked(50))); // ring 2, older than 100
        RunOnNewThread(() => stats.Update(LockFreeBatchStatsConcurrencyTests.Linked(60))); // ring 2 is still in the window
        Assert.Equal(3, stats.RingCount);
        var samples = new BatchSample[10];
        Assert.Equal(3, stats.CopyRecentSamples(samples));
        Assert.Equal(new long[] { 50, 60, 100 }, samples[..3].Select(s => s.Timestamp));
    }

    /// <summary>
    /// Two writers, two readers, a 1 ms cache: on each reader, successive snapshots never show an all-time counter
    /// lower than before; across readers, a snapshot's counters are at least those of every snapshot that finished
    /// before it started.
    /// </summary>
    [Fact]
    public void GetStats_ConcurrentReadersAndExpiringCache_CountersNeverFall()
    {
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 256, CacheValidTime = TimeSpan.FromMilliseconds(1) });
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        long finishedBatches = 0, finishedErrors = 0;
        int drops = 0, reads = 0;
        Thread[] writers = [.. Enumerable.Range(0, 2).Select(w => new Thread(() =>
        {
            for (long i = 1; !stop.IsCancellationRequested; i++)
            {
                stats.Update(new BatchSample(0.001, 2, 0.0001, 0.002, 1, (i * 2) + w));
                if (i % 64 == 0)
                {
                    stats.RecordError();
                }
            }
        }))];
        Thread[] readers = [.. Enumerable.Range(0, 2).Select(_ => new Thread(() =>
        {
            long lastBatches = 0, lastProcessed = 0, lastErrors = 0;
            while (!stop.IsCancellationRequested)
            {
                long floorBatches = Volatile.Read(ref finishedBatches), floorErrors = Volatile.Read(ref finishedErrors);
                BatchStatsSnapshot s = stats.GetStats();
                if (s.BatchCount < lastBatches || s.TotalProcessed < lastProcessed || s.TotalErrors < lastErrors
                    || s.BatchCount < floorBatches || s.TotalErrors < floorErrors)
                {
                    Interlocked.Increment(ref drops);
                }

                (lastBatches, lastProcessed, lastErrors) = (s.BatchCount, s.TotalProcessed, s.TotalErrors);
                InterlockedMax(ref finishedBatches, s.BatchCount);
                InterlockedMax(ref finishedErrors, s.TotalErrors);
                Interlocked.Increment(ref reads);
            }
        }))];
        Array.ForEach(writers, t => t.Start());
        Array.ForEach(readers, t => t.Start());
        Array.ForEach(writers, t => t.Join());
        Array.ForEach(readers, t => t.Join());
        Assert.True(reads > 100, $"only {reads} reads");
        Assert.Equal(0, drops);
    }

    [Fact]
    public void InvalidateCache_NextReadRecomputes_CountersStillNeverFall()
    {
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 16, CacheValidTime = TimeSpan.FromHours(1), MaxSampleAge = TimeSpan.FromHours(1) });
        stats.Update(new BatchSample(0.5, 3, 0, 1, 0, Stopwatch.GetTimestamp()));
        BatchStatsSnapshot first = stats.GetStats();
        stats.Update(new BatchSample(0.25, 1, 0, 1, 0, Stopwatch.GetTimestamp()));
        Assert.Same(first, stats.GetStats()); // within the valid time: served from cache
        stats.InvalidateCache();
        BatchStatsSnapshot second = stats.GetStats();
        Assert.NotSame(first, second);
        Assert.Equal(2, second.BatchCount);
        Assert.Equal(4, second.TotalProcessed);
        Assert.Same(second, stats.GetStats());
    }

    [Fact]
    public void Options_SettableForBinding_CopiedWhenTheTrackerIsBuilt()
    {
        var options = new BatchStatsOptions();
        options.WindowSize = 8; // a configure lambda or the configuration binder sets properties like this
        options.HistogramScale = 2;
        var stats = new LockFreeBatchStats(options);
        options.WindowSize = 1000;
        options.HistogramScale = 5;
        Assert.Equal(8, stats.Options.WindowSize);
        Assert.NotSame(options, stats.Options);
        for (int i = 1; i <= 20; i++)
        {
            stats.Update(LockFreeBatchStatsConcurrencyTests.Linked(i));
        }

        Assert.Equal(8, stats.GetStats().WindowCount);
        Assert.Equal(2, stats.GetHistograms().ProcessingTime.Scale);
    }

    private static void InterlockedMax(ref long target, long value)
    {
        long current = Volatile.Read(ref target);
        while (value > current)
        {
            long seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    private static void RunOnNewThread(Action action)
    {
        var thread = new Thread(() => action());
        thread.Start();
        thread.Join();
    }

    /// <summary>
    /// The same invariants with real threads (a complement to the deterministic tests above): every copy is whole
    /// batches, and the window is full once it can be.
    /// </summary>
    [Fact]
    public void UpdateManyWriterAndReader_RealThreads_EveryCopyIsWholeBatchesAndFull()
    {
        var stats = new LockFreeBatchStats(Window, 0);
        const int Batches = 20_000;
        long written = 0;
        var writer = new Thread(() =>
        {
            var buffer = new BatchSample[Batch];
            for (int b = 0; b < Batches; b++)
            {
                for (int i = 0; i < Batch; i++)
                {
                    buffer[i] = LockFreeBatchStatsConcurrencyTests.Linked(((long)b * Batch) + i + 1);
                }

                stats.UpdateMany(buffer);
                Volatile.Write(ref written, b + 1);
            }
        });
        writer.Start();
        var samples = new BatchSample[Window];
        int reads = 0;
        while (writer.IsAlive || reads < 10)
        {
            bool full = Volatile.Read(ref written) * Batch >= Window;
            int n = stats.CopyRecentSamples(samples);
            Assert.True(!full || n == Window, $"short copy: {n}");
            Assert.Equal(0, n % Batch);
            Assert.True(n == 0 || (samples[0].Timestamp - 1) % Batch == 0, "the copy starts inside a batch");
            Assert.True(samples.Take(n).Select(s => s.Timestamp).SequenceEqual(Enumerable.Range(0, n).Select(i => samples[0].Timestamp + i)));
            BatchStatsSnapshot snapshot = stats.GetStats();
            Assert.True(!full || snapshot.WindowCount == Window, $"short window: {snapshot.WindowCount}");
            reads++;
        }

        writer.Join();
        Assert.Equal((long)Batches * Batch, stats.GetStats().BatchCount);
    }
}
