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

    [Fact]
    public void GetStats_IncrementalRecompute_AllocatesOnlyTheSnapshotAndItsCacheEntry()
    {
        var stats = new LockFreeBatchStats(10_000, 0);
        var rng = new Random(2);
        long stamp = 0;
        for (int i = 0; i < 30_000; i++)
        {
            stats.Update(new BatchSample(rng.NextDouble(), 3, 0.01, rng.NextDouble(), 1, ++stamp));
        }

        for (int i = 0; i < 200; i++)
        {
            stats.Update(new BatchSample(rng.NextDouble(), 3, 0.01, rng.NextDouble(), 1, ++stamp));
            stats.GetStats(); // warm: the kept window's arrays reach their size
        }

        long advancesBefore = stats.IncrementalAdvances;
        long allocated = AllocatedBy(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                stats.Update(new BatchSample(rng.NextDouble(), 3, 0.01, rng.NextDouble(), 1, ++stamp));
                stats.GetStats();
            }
        });

        Assert.True(stats.IncrementalAdvances - advancesBefore >= 1000, "the reads took the incremental path");
        // The snapshot (~190 B) and the 48-byte cache entry: 240 B in Release (the benchmarks' MemoryDiagnoser agrees);
        // unoptimized Debug code adds a few hundred bytes. Anything proportional to the window (80 KB per column here)
        // would mean scratch space or the kept window is not reused.
        Assert.InRange(allocated / 1000.0, 1, 1024);
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
