using System;
using System.Linq;
using System.Threading;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary><see cref="BatchStatsWriter"/>: same records as the tracker's own methods, bound to its thread.</summary>
public sealed class WriterHandleTests
{
    [Fact]
    public void Writer_RecordsIntoTheCallingThreadsRing_LikeTheTrackerMethods()
    {
        var viaWriter = new LockFreeBatchStats(100, 0);
        var viaTracker = new LockFreeBatchStats(100, 0);
        BatchStatsWriter writer = viaWriter.CreateWriter();
        Assert.Same(viaWriter, writer.Stats);
        for (int i = 1; i <= 150; i++)
        {
            var s = new BatchSample(0.001 * i, i % 9, 0.0002 * i, 0.003 * i, i % 4, i);
            writer.Update(s);
            viaTracker.Update(s);
        }

        BatchSample[] many = [new(0.5, 3, 0.1, 0.7, 2, 200), new(0.25, 1, 0, 0.3, 0, 201)];
        writer.UpdateMany(many);
        viaTracker.UpdateMany(many);
        writer.RecordError(3);
        viaTracker.RecordError(3);
        Assert.Equal(viaTracker.GetStats().ToDictionary(), viaWriter.GetStats().ToDictionary());
        Assert.Equal(1, viaWriter.RingCount); // the handle and the tracker's methods share this thread's ring
        viaWriter.Update(new BatchSample(0.1, 1, 0, 0.1, 0, 300));
        Assert.Equal(1, viaWriter.RingCount);
        Assert.Equal(153, viaWriter.GetStats().BatchCount);
    }

    [Fact]
    public void Writer_SelfStamped_StampsIncreaseAndCountsAdd()
    {
        var stats = new LockFreeBatchStats(1000, 0);
        BatchStatsWriter writer = stats.CreateWriter();
        for (int i = 0; i < 500; i++)
        {
            writer.Update(0.01, 2, 0.001, 0.02, 1);
        }

        var samples = new BatchSample[500];
        Assert.Equal(500, stats.CopyRecentSamples(samples));
        Assert.True(samples.Zip(samples.Skip(1)).All(p => p.First.Timestamp < p.Second.Timestamp));
        Assert.Equal(1000, stats.GetStats().TotalProcessed);
    }

    [Fact]
    public void Writer_UsedFromAnotherThread_ThrowsAndRecordsNothing()
    {
        var stats = new LockFreeBatchStats(100, 0);
        BatchStatsWriter writer = stats.CreateWriter();
        writer.Update(new BatchSample(0.1, 1, 0, 0.1, 0, 1));
        Exception? caught = null;
        var other = new Thread(() =>
        {
            try
            {
                writer.Update(new BatchSample(0.2, 1, 0, 0.2, 0, 2));
            }
            catch (InvalidOperationException e)
            {
                caught = e;
            }

            Assert.Throws<InvalidOperationException>(() => writer.Update(0.1, 1, 0));
            Assert.Throws<InvalidOperationException>(() => writer.UpdateMany([new(0.1, 1, 0)]));
            Assert.Throws<InvalidOperationException>(() => writer.RecordError());
        });
        other.Start();
        other.Join();
        Assert.NotNull(caught);
        Assert.Contains("CreateWriter", caught!.Message, StringComparison.Ordinal);
        BatchStatsSnapshot s = stats.GetStats();
        Assert.Equal(1, s.BatchCount);
        Assert.Equal(0, s.TotalErrors);
    }

    [Fact]
    public void Writer_BadInput_ThrowsNamingTheParameter_AndKeepsEarlierData()
    {
        var stats = new LockFreeBatchStats(100, 0);
        BatchStatsWriter writer = stats.CreateWriter();
        writer.Update(0.1, 2, 0.01);
        var before = stats.GetStats().ToDictionary();
        Assert.Equal("processingTime", Assert.Throws<ArgumentOutOfRangeException>(() => writer.Update(double.NaN, 1, 0)).ParamName);
        Assert.Equal("sample", Assert.Throws<ArgumentOutOfRangeException>(() => writer.Update(new BatchSample(0.1, -1, 0))).ParamName);
        Assert.Equal("samples", Assert.Throws<ArgumentOutOfRangeException>(() => writer.UpdateMany([new(0.1, 1, 0), new(-1, 1, 0)])).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => writer.RecordError(0)).ParamName);
        Assert.Equal(before, stats.GetStats().ToDictionary());
    }

    [Fact]
    public void Writers_OnManyThreads_AllRecordsCounted()
    {
        var stats = new LockFreeBatchStats(64, 0);
        const int PerThread = 20_000;
        var threads = Enumerable.Range(0, 4).Select(w => new Thread(() =>
        {
            BatchStatsWriter writer = stats.CreateWriter();
            for (long i = 0; i < PerThread; i++)
            {
                writer.Update(ConcurrencyTests.Linked((i * 4) + w + 1));
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        while (threads.Any(t => t.IsAlive))
        {
            BatchStatsSnapshot s = stats.GetStats();
            Assert.Equal(4 * s.AvgProcessingTime, s.AvgLatency); // linked samples: a torn one would break this
        }

        threads.ForEach(t => t.Join());
        BatchStatsSnapshot final = stats.GetStats();
        Assert.Equal(4 * PerThread, final.BatchCount);
        Assert.Equal(Enumerable.Range(1, 4 * PerThread).Sum(t => (long)ConcurrencyTests.Linked(t).BatchSize), final.TotalProcessed);
    }
}
