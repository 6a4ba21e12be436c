using System;
using System.Linq;
using System.Threading;
using BatchStats.Fast.Internal;
using BatchStats.Fast.Internal.Kernels;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="LockFreeBatchStats"/>'s snapshot cache, the sample-age limit and self-stamps on the configured and the
/// system clock.
/// </summary>
public sealed class LockFreeBatchStatsCachingAndTimeTests
{
    /// <summary>A tracker on <paramref name="clock"/> with no cache time and an age limit of 100 raw ticks.</summary>
    internal static LockFreeBatchStats HundredTickAgeLimit(ManualTimeProvider clock, int windowSize) => new(new BatchStatsOptions
    {
        WindowSize = windowSize,
        CacheValidTime = TimeSpan.Zero,
        MaxSampleAge = TimeSpan.FromSeconds(100.0 / clock.TimestampFrequency),
        TimeProvider = clock,
    });

    [Fact]
    public void GetStats_NothingRecorded_ReturnsSameInstanceEvenWithZeroCacheTime()
    {
        var stats = new LockFreeBatchStats(10, 0);
        stats.Update(0.1, 1, 0);
        BatchStatsSnapshot a = stats.GetStats();
        Assert.Same(a, stats.GetStats());
        stats.Update(0.2, 1, 0);
        BatchStatsSnapshot b = stats.GetStats();
        Assert.NotSame(a, b);
        Assert.Equal(2, b.WindowCount);
        stats.RecordError();
        Assert.Equal(1, stats.GetStats().TotalErrors); // an error alone invalidates the cache too
    }

    [Fact]
    public void GetStats_WithinCacheValidTime_ServesCachedThenRecomputes()
    {
        var clock = new ManualTimeProvider();
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 10, CacheValidTime = TimeSpan.FromSeconds(1), TimeProvider = clock });
        stats.Update(0.1, 1, 0);
        BatchStatsSnapshot first = stats.GetStats();
        stats.Update(0.2, 1, 0);
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.Same(first, stats.GetStats()); // bounded staleness
        clock.Advance(TimeSpan.FromMilliseconds(2));
        Assert.Equal(2, stats.GetStats().WindowCount);
    }

    [Fact]
    public void MaxSampleAge_LeavesOutOldSamplesAtReadTime()
    {
        var clock = new ManualTimeProvider();
        var stats = new LockFreeBatchStats(new BatchStatsOptions
        {
            WindowSize = 100,
            CacheValidTime = TimeSpan.Zero,
            MaxSampleAge = TimeSpan.FromSeconds(10),
            TimeProvider = clock,
        });
        long t0 = clock.Now;
        stats.Update(new BatchSample(1.0, 1, 0, Timestamp: t0));
        stats.Update(new BatchSample(2.0, 1, 0, Timestamp: t0 + 5_000_000)); // +5 s
        Assert.Equal(2, stats.GetStats().WindowCount);
        clock.Advance(TimeSpan.FromSeconds(12)); // the first is 12 s old, the second 7 s
        BatchStatsSnapshot s = stats.GetStats(); // nothing recorded, but a sample aged out: recomputed
        Assert.Equal(1, s.WindowCount);
        Assert.Equal(2.0, s.MaxProcessingTime);
        Assert.Equal(2, s.BatchCount); // all-time counters are not windowed
        clock.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(0, stats.GetStats().WindowCount);
    }

    /// <summary>
    /// With an age limit and nothing recorded, the cached snapshot is served (the same instance) until its oldest
    /// sample is older than the limit; a sample exactly at the limit is still in the window.
    /// </summary>
    [Fact]
    public void MaxSampleAge_NothingRecordedAndNothingAgedOut_ServesTheCachedSnapshot()
    {
        var clock = new ManualTimeProvider { Now = 1000 };
        LockFreeBatchStats stats = HundredTickAgeLimit(clock, windowSize: 10);
        stats.Update(new BatchSample(0.5, 1, 0, Timestamp: 1000));
        BatchStatsSnapshot first = stats.GetStats();
        Assert.Equal(1, first.WindowCount);
        Assert.Same(first, stats.GetStats());
        clock.Now = 1100; // the limit is now 1000: the sample is exactly at it
        Assert.Same(first, stats.GetStats());
        clock.Now = 1101;
        Assert.Equal(0, stats.GetStats().WindowCount);
    }

    [Fact]
    public void SelfStamps_UseTheConfiguredClock_AndOrderAfterCallerStamps()
    {
        var clock = new ManualTimeProvider();
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 10, CacheValidTime = TimeSpan.Zero, TimeProvider = clock });
        stats.Update(new BatchSample(0.1, 1, 0, Timestamp: clock.Now + 100));
        stats.Update(0.2, 2, 0); // the clock reads Now, below the previous stamp: this ring's stamps still increase
        stats.UpdateMany([new(0.3, 3, 0), new(0.4, 4, 0)]);
        var samples = new BatchSample[10];
        int n = stats.CopyRecentSamples(samples);
        Assert.Equal(4, n);
        Assert.Equal([0.1, 0.2, 0.3, 0.4], samples[..n].Select(s => s.ProcessingTime));
        Assert.Equal(clock.Now + 100, samples[0].Timestamp);
        Assert.True(samples[1].Timestamp > samples[0].Timestamp && samples[3].Timestamp > samples[2].Timestamp);
    }

    [Fact]
    public void SelfStamps_SystemClock_StrictlyIncreasePerThreadAndTrackStopwatch()
    {
        var stats = new LockFreeBatchStats(10_000, 0);
        long before = System.Diagnostics.Stopwatch.GetTimestamp();
        for (int i = 0; i < 5000; i++)
        {
            stats.Update(0.001, 1, 0);
        }

        long after = System.Diagnostics.Stopwatch.GetTimestamp();
        var samples = new BatchSample[5000];
        Assert.Equal(5000, stats.CopyRecentSamples(samples));
        for (int i = 1; i < samples.Length; i++)
        {
            Assert.True(samples[i].Timestamp > samples[i - 1].Timestamp);
        }

        Assert.InRange(samples[0].Timestamp, before, after);
        Assert.InRange(samples[^1].Timestamp, before, after + 5000);
    }

    /// <summary>
    /// The age limit with nothing recorded, after a merge from scratch that could not seed the incremental reader (a
    /// backwards stamp lies out of the limit between kept samples): the cached snapshot knows its oldest sample, so the
    /// read after that sample ages out is recomputed, not served from the cache.
    /// </summary>
    [Fact]
    public void MaxSampleAge_AfterAMergeThatCouldNotSeed_ASampleAgingOutIsRecomputed()
    {
        var clock = new ManualTimeProvider { Now = 1002 };
        LockFreeBatchStats stats = HundredTickAgeLimit(clock, windowSize: 6);
        stats.Update(new BatchSample(0.5, 1, 0, Timestamp: 1000));
        stats.Update(new BatchSample(0.9, 1, 0, Timestamp: 850)); // backwards, and out of the limit from the start
        stats.Update(new BatchSample(0.3, 1, 0, Timestamp: 1001));
        stats.Update(new BatchSample(0.7, 1, 0, Timestamp: 1002));
        Assert.Equal(3, stats.GetStats().WindowCount);
        clock.Now = 1101; // the limit is now 1001: the sample of 1000 leaves
        BatchStatsSnapshot s = stats.GetStats();
        Assert.Equal(2, s.WindowCount);
        Assert.Equal(0.7, s.MaxProcessingTime);
        clock.Now = 1103;
        Assert.Equal(0, stats.GetStats().WindowCount);
    }

    /// <summary>
    /// The system clock's self-stamps after a caller stamp an hour ahead of it: the first reads the precise clock (a
    /// new ring has no clock tick to compare), finds it behind the last stamp, and stamps one tick after that stamp;
    /// the next one too, whichever path it takes.
    /// </summary>
    [Fact]
    public void SelfStamps_SystemClock_OrderAfterACallerStampAheadOfTheClock()
    {
        var stats = new LockFreeBatchStats(10, 0);
        long ahead = System.Diagnostics.Stopwatch.GetTimestamp() + (3600 * System.Diagnostics.Stopwatch.Frequency);
        stats.Update(new BatchSample(0.1, 1, 0, Timestamp: ahead));
        stats.Update(0.2, 1, 0);
        stats.Update(0.3, 1, 0);
        var samples = new BatchSample[10];
        Assert.Equal(3, stats.CopyRecentSamples(samples));
        Assert.Equal([ahead, ahead + 1, ahead + 2], samples[..3].Select(s => s.Timestamp));
    }

    /// <summary>
    /// Between two ticks of the shared coarse clock, a thread's self-stamps do not read the precise clock: each is one
    /// tick after the thread's last (the shortcut this test requires to have run at least a thousand times; with the
    /// nanosecond Stopwatch of Linux, the precise path would need two clock reads a nanosecond apart to stamp one tick
    /// after the last). All of them still increase.
    /// </summary>
    [Fact]
    public void SelfStamps_SystemClock_WithinACoarseTick_AreOneTickAfterTheLast_AndIncrease()
    {
        var stats = new LockFreeBatchStats(4096, 0);
        var samples = new BatchSample[4096];
        long oneTickSteps = 0;
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while (oneTickSteps < 1000 && elapsed.Elapsed < TimeSpan.FromSeconds(30))
        {
            for (int i = 0; i < samples.Length; i++)
            {
                stats.Update(0.001, 1, 0);
            }

            int n = stats.CopyRecentSamples(samples);
            for (int i = 1; i < n; i++)
            {
                long step = samples[i].Timestamp - samples[i - 1].Timestamp;
                Assert.True(step > 0, $"stamp {i} is {step} ticks after the one before it");
                oneTickSteps += step == 1 ? 1 : 0;
            }
        }

        Assert.True(oneTickSteps >= 1000, $"only {oneTickSteps} stamps came one tick after the last in {elapsed.Elapsed}");
    }

    [Fact]
    public void GetStats_RentsScratch_ReturnsEveryArray()
    {
        var slots = new CountingPool<Slot>();
        var doubles = new CountingPool<double>();
        var keys = new CountingPool<SelectionKey>();
        var ints = new CountingPool<int>();
        var longs = new CountingPool<long>();
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 2000, CacheValidTime = TimeSpan.Zero }, new ReaderPools(slots, doubles, keys, ints, longs));
        var t = new Thread(() =>
        {
            for (int i = 0; i < 2500; i++)
            {
                stats.Update(new BatchSample(0.1 * (i % 7), 1, 0, 0.2 * (i % 5), Timestamp: (2 * i) + 1));
            }
        });
        t.Start();
        t.Join();
        for (int i = 0; i < 2500; i++)
        {
            stats.Update(new BatchSample(0.2 * (i % 3), 1, 0, 0.1 * (i % 11), Timestamp: (2 * i) + 2)); // a second ring: the merge must select
        }

        Assert.Equal(2000, stats.GetStats().WindowCount);
        for (int i = 0; i < 300; i++)
        {
            stats.Update(new BatchSample(0.3 * (i % 13), 2, 0, 0.1, Timestamp: 10_000 + i)); // the incremental reader's path
            Assert.Equal(2000, stats.GetStats().WindowCount);
        }

        Assert.Equal(2000, stats.CopyRecentSamples(new BatchSample[3000]));
        Assert.True(slots.Rented > 0 && doubles.Rented > 0 && keys.Rented > 0 && ints.Rented > 0 && longs.Rented > 0);
        Assert.Equal(longs.Rented, longs.Returned);
        Assert.Equal(ints.Rented, ints.Returned);
        Assert.Equal(slots.Rented, slots.Returned);
        Assert.Equal(doubles.Rented, doubles.Returned);
        Assert.Equal(keys.Rented, keys.Returned);
    }
}
