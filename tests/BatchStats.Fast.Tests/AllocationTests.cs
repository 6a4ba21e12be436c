using System;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>Allocation tests run alone: other tests' garbage collections can perturb the per-thread byte counter.</summary>
[CollectionDefinition(nameof(AllocationTests), DisableParallelization = true)]
public sealed class AllocationTestGroup;

[Collection(nameof(AllocationTests))]
public sealed class AllocationTests
{
    /// <summary>
    /// Bytes the current thread allocated in <paramref name="action"/>, from the first of several attempts during which no
    /// garbage collection ran (a collection can make the per-thread counter jump by an unused allocation quantum).
    /// </summary>
    private static long AllocatedBy(Action action)
    {
        long allocated = 0;
        for (int attempt = 0; attempt < 5; attempt++)
        {
            int collections = GC.CollectionCount(0);
            long before = GC.GetAllocatedBytesForCurrentThread();
            action();
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (GC.CollectionCount(0) == collections)
            {
                return allocated;
            }
        }

        return allocated;
    }

    [Fact]
    public void RecordPath_AfterFirstRecord_AllocatesNothing()
    {
        var stats = new LockFreeBatchStats(1000, 0);
        BatchSample[] batch = [new(0.1, 2, 0.01), new(0.2, 3, 0.02, 0.3, 4, 99)];
        stats.Update(0.1, 1, 0); // registers this thread's ring
        stats.Update(new BatchSample(0.1, 1, 0, Timestamp: 5));
        stats.UpdateMany(batch);
        stats.RecordError();
        BatchStatsWriter writer = stats.CreateWriter();
        writer.Update(0.1, 1, 0);
        writer.Update(new BatchSample(0.1, 1, 0, Timestamp: 6));

        int rounds = 0;
        long allocated = AllocatedBy(() =>
        {
            rounds++;
            for (int i = 0; i < 10_000; i++)
            {
                stats.Update(0.001 * i, i & 63, 0.0001, 0.002, i & 7);
                stats.Update(new BatchSample(0.001, 4, 0, Timestamp: 1000 + i));
                stats.UpdateMany(batch);
                stats.RecordError(2);
                writer.Update(0.001 * i, i & 63, 0.0001, 0.002, i & 7);
                writer.Update(new BatchSample(0.001, 4, 0, Timestamp: 1000 + i));
                writer.UpdateMany(batch);
                writer.RecordError(2);
            }
        });

        Assert.Equal(0, allocated);
        Assert.Equal(6 + (rounds * 80_000), stats.GetStats().BatchCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void GetStats_Recompute_AllocatesOnlyTheSnapshot(bool fromScratch)
    {
        var stats = new LockFreeBatchStats(10_000, 0);
        var rng = new Random(2);
        long stamp = 0;
        void Record(int count)
        {
            for (int i = 0; i < count; i++)
            {
                stats.Update(new BatchSample(rng.NextDouble(), 3, 0.01, rng.NextDouble(), 1, ++stamp));
            }
        }

        Record(30_000);
        for (int i = 0; i < 200; i++)
        {
            Record(fromScratch ? 5_000 : 1); // more than window / 4 since the last read: a merge from scratch
            stats.GetStats(); // warm: the kept window's arrays and the pools reach their size
        }

        long snapshotSize = AllocatedBy(() => GC.KeepAlive(new BatchStatsSnapshot()));
        long advancesBefore = stats.IncrementalAdvances;
        const int Reads = 200;
        long allocated = AllocatedBy(() =>
        {
            for (int i = 0; i < Reads; i++)
            {
                Record(fromScratch ? 5_000 : 1);
                stats.GetStats();
            }
        });

        long advances = stats.IncrementalAdvances - advancesBefore;
        Assert.True(fromScratch ? advances == 0 : advances >= Reads, $"the reads took the intended path ({advances} incremental advances)");
        Assert.InRange(snapshotSize, 100, 400);
#if DEBUG
        // Unoptimized code (a Debug build, or DOTNET_JITMinOpts=1 on a Release build) allocates a few hundred bytes of
        // temporaries per read that the optimizing JIT does not; anything proportional to the window (80 KB per
        // column here) would mean scratch space or the kept window is not reused.
        Assert.InRange(allocated / Reads, snapshotSize, 1024);
#else
        Assert.Equal(Reads * snapshotSize, allocated); // the snapshot, and nothing else
#endif
    }

    [Fact]
    public void GetStats_CacheHit_AllocatesNothing()
    {
        var stats = new LockFreeBatchStats(1000, 0);
        for (int i = 0; i < 2000; i++)
        {
            stats.Update(0.001 * i, 1, 0);
        }

        stats.GetStats();
        Assert.Equal(0, AllocatedBy(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                stats.GetStats();
            }
        }));
    }
}
