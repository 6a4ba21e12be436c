using System;
using Xunit;

namespace BatchStats.Fast.Tests;

public sealed class AllocationTests
{
    [Fact]
    public void RecordPath_AfterFirstRecord_AllocatesNothing()
    {
        var stats = new LockFreeBatchStats(1000, 0);
        BatchSample[] batch = [new(0.1, 2, 0.01), new(0.2, 3, 0.02, 0.3, 4, 99)];
        stats.Update(0.1, 1, 0); // registers this thread's ring
        stats.Update(new BatchSample(0.1, 1, 0, Timestamp: 5));
        stats.UpdateMany(batch);
        stats.RecordError();

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            stats.Update(0.001 * i, i & 63, 0.0001, 0.002, i & 7);
            stats.Update(new BatchSample(0.001, 4, 0, Timestamp: 1000 + i));
            stats.UpdateMany(batch);
            stats.RecordError(2);
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(40_004, stats.GetStats().BatchCount);
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
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            stats.GetStats();
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
