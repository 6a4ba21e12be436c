using System;
using System.Linq;
using System.Threading;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <c>WindowAnalysis</c> (behind <see cref="LockFreeBatchStats.GetComprehensiveStats"/>) at the exact boundaries of its
/// bottleneck limits and trend threshold, with each bottleneck's text word for word (invariant culture).
/// </summary>
public sealed class WindowAnalysisTests
{
    private const long Ms = 1000; // ManualTimeProvider ticks are microseconds

    private static BatchStatsAnalysis Analyse(double[] processing, double queue = 0, int batch = 10, int errors = 0)
    {
        var stats = Tracker(1000);
        for (int i = 0; i < processing.Length; i++)
        {
            stats.Update(new BatchSample(processing[i], batch, queue, 0, 0, Timestamp: 1_000_000 + (i * 2000 * Ms)));
        }

        if (errors > 0)
        {
            stats.RecordError(errors, 1_000_000 + (processing.Length * 2000 * Ms));
        }

        return stats.GetComprehensiveStats();
    }

    /// <summary>A tracker on a manual clock with no cache: every analysis reads what was recorded.</summary>
    private static LockFreeBatchStats Tracker(int windowSize) =>
        new(new BatchStatsOptions { WindowSize = windowSize, CacheValidTime = TimeSpan.Zero, TimeProvider = new ManualTimeProvider() });

    private static double[] Repeat(double value, int n) => Enumerable.Repeat(value, n).ToArray();

    [Fact]
    public void Queueing_OnlyWhenTheQueueWaitExceedsProcessing()
    {
        Assert.DoesNotContain(Analyse(Repeat(0.25, 10), queue: 0.25).Bottlenecks, b => b.Name == "queueing");
        BatchStatsBottleneck b = Assert.Single(Analyse(Repeat(0.25, 10), queue: 0.5).Bottlenecks, b => b.Name == "queueing");
        Assert.Equal((0.5, 0.25), (b.Value, b.Threshold));
        Assert.Equal("Batches wait longer in the queue (0.5 s) than they take to process (0.25 s): add workers or shrink batches.", b.Message);
    }

    [Fact]
    public void ProcessingTail_OnlyAboveThreeTimesANonZeroMedian()
    {
        double[] atLimit = [.. Repeat(0.25, 98), 0.75, 0.75]; // p99 = 0.75 = 3 × the median, exactly
        Assert.DoesNotContain(Analyse(atLimit).Bottlenecks, b => b.Name == "processing_tail");
        double[] above = [.. Repeat(0.25, 98), 1.5, 1.5];
        BatchStatsBottleneck b = Assert.Single(Analyse(above).Bottlenecks, b => b.Name == "processing_tail");
        Assert.Equal((1.5, 0.75), (b.Value, b.Threshold));
        Assert.Equal("p99 processing time (1.5 s) exceeds 3 x the median (0.25 s).", b.Message);
        double[] zeroMedian = [.. Repeat(0.0, 98), 0.1, 0.1]; // any tail is "3 × 0": not judged
        Assert.DoesNotContain(Analyse(zeroMedian).Bottlenecks, b => b.Name == "processing_tail");
    }

    [Fact]
    public void Errors_OnlyAboveOnePercentOfItems()
    {
        Assert.DoesNotContain(Analyse(Repeat(0.25, 10), errors: 1).Bottlenecks, b => b.Name == "errors"); // 1 of 100 items: exactly 1 %
        BatchStatsBottleneck b = Assert.Single(Analyse(Repeat(0.25, 10), errors: 2).Bottlenecks, b => b.Name == "errors");
        Assert.Equal((0.02, 0.01), (b.Value, b.Threshold));
        Assert.Equal("Error rate 2.00 % exceeds 1 %.", b.Message);
    }

    /// <summary>
    /// The error rate is all-time, so the errors rule holds with an empty window too: errors recorded before any batch,
    /// and batches that aged out of the window while their errors still count. The window's own rules find nothing.
    /// </summary>
    [Fact]
    public void Errors_WithAnEmptyWindow_StillAFinding()
    {
        var onlyErrors = Tracker(16);
        onlyErrors.RecordError(4);
        BatchStatsBottleneck b = Assert.Single(onlyErrors.GetComprehensiveStats().Bottlenecks);
        Assert.Equal(("errors", 4.0, 0.01), (b.Name, b.Value, b.Threshold)); // 4 errors over max(1, 0 items)
        Assert.Equal("Error rate 400.00 % exceeds 1 %.", b.Message);

        var clock = new ManualTimeProvider();
        var aged = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 16, CacheValidTime = TimeSpan.Zero, MaxSampleAge = TimeSpan.FromSeconds(1), TimeProvider = clock });
        for (int i = 0; i < 10; i++)
        {
            aged.Update(new BatchSample(0.5, 10, 1.0, 0, 0, Timestamp: clock.Now)); // queueing and tail both hold while in the window
        }

        aged.RecordError(2);
        clock.Advance(TimeSpan.FromSeconds(2));
        BatchStatsAnalysis a = aged.GetComprehensiveStats();
        Assert.Equal(0, a.Snapshot.WindowCount);
        Assert.Equal(("errors", 0.02), (Assert.Single(a.Bottlenecks).Name, a.Bottlenecks[0].Value)); // 2 errors over 100 items

        var healthy = Tracker(16);
        healthy.RecordError(2);
        healthy.Update(new BatchSample(0.5, 100, 0, 0, 0, Timestamp: 1_000_000));
        healthy.Update(new BatchSample(0.5, 100, 0, 0, 0, Timestamp: 11_000_000)); // 10 s apart: busy 1 s of 10.5
        Assert.Empty(healthy.GetComprehensiveStats().Bottlenecks); // 2 errors over 200 items: exactly 1 %, not above
    }

    [Fact]
    public void Saturation_WhenBusyMoreThanNinetyPercent_WithItsText()
    {
        // One writer, 2 s apart, each batch 1.9 s: busy 9 × 1.9 + 1.9 over a wall of 18 s + 1.9 s.
        BatchStatsBottleneck b = Assert.Single(Analyse(Repeat(1.9, 10)).Bottlenecks, b => b.Name == "saturation");
        Assert.Equal(19.0 / 19.9, b.Value, 12);
        Assert.Equal(0.9, b.Threshold);
        Assert.Equal("Workers are busy 95 % of the time (above 90 %).", b.Message);
        Assert.DoesNotContain(Analyse(Repeat(1.7, 10)).Bottlenecks, b => b.Name == "saturation"); // 17 / 19.7 = 86 %
    }

    /// <summary>A change of exactly 10 % of the older half's mean is stable; the trend needs more.</summary>
    [Fact]
    public void PerformanceTrend_ExactlyTheThreshold_IsStable()
    {
        double[] tenPercent = [.. Repeat(0.625, 10), .. Repeat(0.6875, 10)]; // +0.0625 = 0.1 × 0.625 in doubles
        Assert.Equal(TrendDirection.Stable, Analyse(tenPercent).PerformanceTrend);
        double[] more = [.. Repeat(0.625, 10), .. Repeat(0.6875 + 1e-9, 10)];
        Assert.Equal(TrendDirection.Degrading, Analyse(more).PerformanceTrend);
        double[] less = [.. Repeat(0.6875, 10), .. Repeat(0.6, 10)]; // beyond 10 % of the older half (0.06875)
        Assert.Equal(TrendDirection.Improving, Analyse(less).PerformanceTrend);
    }

    /// <summary>Below four samples every trend is stable, whatever the halves say; from four on they are judged.</summary>
    [Fact]
    public void Trends_NeedFourSamples()
    {
        BatchStatsAnalysis three = Analyse([0.1, 0.1, 0.9], errors: 5);
        Assert.Equal((TrendDirection.Stable, TrendDirection.Stable, TrendDirection.Stable), (three.PerformanceTrend, three.ThroughputTrend, three.ErrorTrend));
        BatchStatsAnalysis four = Analyse([0.1, 0.1, 0.9, 0.9], errors: 5); // the errors are stamped after the last batch: newer half
        Assert.Equal((TrendDirection.Degrading, TrendDirection.Degrading, TrendDirection.Degrading), (four.PerformanceTrend, four.ThroughputTrend, four.ErrorTrend));
    }

    /// <summary>
    /// Errors stamped before the first sample count (in the older half) while the window holds every sample ever
    /// recorded; once older samples have left the window, errors before its oldest sample are out of it.
    /// </summary>
    [Theory]
    [InlineData(8, TrendDirection.Improving)]
    [InlineData(6, TrendDirection.Stable)]
    public void ErrorsBeforeTheWindow_CountOnlyWhileItHoldsEverySample(int windowSize, TrendDirection expected)
    {
        var stats = Tracker(windowSize);
        stats.RecordError(50, 1_000);
        for (int i = 0; i < 8; i++)
        {
            stats.Update(new BatchSample(0.25, 10, 0, 0, 0, Timestamp: 1_000_000 + (i * 2000 * Ms)));
        }

        Assert.Equal(expected, stats.GetComprehensiveStats().ErrorTrend);
    }

    /// <summary>Samples that all completed at one instant with no processing time in the oldest: no wall time to divide by.</summary>
    [Fact]
    public void ZeroWallTime_UtilizationFromWhetherAnythingWasProcessed()
    {
        var stats = Tracker(16);
        stats.Update(new BatchSample(0, 10, 0, 0, 0, Timestamp: 5_000));
        BatchStatsAnalysis idle = stats.GetComprehensiveStats();
        Assert.Equal((0.0, 0, 1.0, 0.0), (idle.Utilization, idle.RecommendedCapacity, idle.StabilityIndex, idle.EfficiencyScore));

        stats.Update(new BatchSample(0.5, 10, 0.5, 0, 0, Timestamp: 5_000));
        BatchStatsAnalysis busy = stats.GetComprehensiveStats();
        Assert.Equal((1.0, 0), (busy.Utilization, busy.RecommendedCapacity));
        Assert.Equal(0.5, busy.EfficiencyScore); // 0.5 s of processing over 1 s end to end
        Assert.Equal(1 / (1 + (0.25 / 0.25)), busy.StabilityIndex); // mean 0.25, standard deviation 0.25
    }

    /// <summary>An error stamped exactly at the window's oldest sample is inside the window (older half).</summary>
    [Fact]
    public void ErrorAtTheOldestSampleOfTheWindow_CountsInTheOlderHalf()
    {
        var stats = Tracker(6);
        for (int i = 0; i < 8; i++)
        {
            stats.Update(new BatchSample(0.25, 10, 0, 0, 0, Timestamp: 1_000_000 + (i * 2000 * Ms)));
        }

        stats.RecordError(1, 1_000_000 + (2 * 2000 * Ms)); // the stamp of the oldest of the six samples kept
        Assert.Equal(TrendDirection.Improving, stats.GetComprehensiveStats().ErrorTrend);
    }

    /// <summary>An analysis of an empty window still carries the tracker's snapshot (its all-time counters).</summary>
    [Fact]
    public void EmptyWindow_CarriesTheSnapshot()
    {
        var stats = Tracker(8);
        stats.RecordError(5, 10);
        BatchStatsAnalysis a = stats.GetComprehensiveStats();
        Assert.Equal(5, a.Snapshot.TotalErrors);
        Assert.Equal(TrendDirection.Stable, a.ErrorTrend);
    }

    /// <summary>Utilization divides by the wall time times the writers; the wall starts at the first (in window order) of the oldest samples.</summary>
    [Fact]
    public void Utilization_TwoWriters_AndATieAtTheOldestStamp()
    {
        var stats = Tracker(16);
        var other = new Thread(() =>
        {
            stats.Update(new BatchSample(0.5, 1, 0, 0, 0, Timestamp: 1_000_000));
            stats.Update(new BatchSample(0.5, 1, 0, 0, 0, Timestamp: 3_000_000));
        });
        other.Start();
        other.Join();
        stats.Update(new BatchSample(0.5, 1, 0, 0, 0, Timestamp: 2_000_000));
        stats.Update(new BatchSample(0.5, 1, 0, 0, 0, Timestamp: 3_000_000));

        // Wall: 2 s between the stamps + the oldest batch's 0.5 s; two writers: 2 s of processing over 2 × 2.5 s.
        Assert.Equal(2.0 / 5.0, stats.GetComprehensiveStats().Utilization, 15);

        var tie = Tracker(16);
        tie.Update(new BatchSample(0.25, 1, 0, 0, 0, Timestamp: 1_000_000));
        tie.Update(new BatchSample(0.75, 1, 0, 0, 0, Timestamp: 1_000_000));
        tie.Update(new BatchSample(0.5, 1, 0, 0, 0, Timestamp: 3_000_000));
        Assert.Equal(1.5 / 2.25, tie.GetComprehensiveStats().Utilization, 15); // the first oldest (0.25 s) starts the wall
    }

    /// <summary>Busy exactly 90 % of the time is not saturation; the limit must be exceeded.</summary>
    [Fact]
    public void Saturation_ExactlyNinetyPercent_IsNotABottleneck()
    {
        var stats = Tracker(16);
        stats.Update(new BatchSample(0.9, 1, 0, 0, 0, Timestamp: 1_000_000));
        stats.Update(new BatchSample(0.9, 1, 0, 0, 0, Timestamp: 2_100_000)); // wall 1.1 + 0.9 = 2 s, busy 1.8 s
        BatchStatsAnalysis a = stats.GetComprehensiveStats();
        Assert.Equal(0.9, a.Utilization);
        Assert.DoesNotContain(a.Bottlenecks, b => b.Name == "saturation");
    }

    /// <summary>Halves of unequal size (odd window) compare means, not sums.</summary>
    [Fact]
    public void PerformanceTrend_OddWindow_ComparesMeans()
    {
        Assert.Equal(TrendDirection.Stable, Analyse(Repeat(0.5, 5)).PerformanceTrend);
        Assert.Equal(TrendDirection.Stable, Analyse(Repeat(0.5, 7)).ThroughputTrend);
    }

    /// <summary>Halves with no processing time have no throughput (0, not infinity): stable.</summary>
    [Fact]
    public void ThroughputTrend_NoProcessingTime_IsStable() =>
        Assert.Equal(TrendDirection.Stable, Analyse(Repeat(0.0, 6)).ThroughputTrend);

    /// <summary>
    /// The error trend compares errors per item: one error among 10 items (older half) against one among 100 (newer)
    /// is improving, though the counts are equal.
    /// </summary>
    [Fact]
    public void ErrorTrend_ComparesErrorsPerItem()
    {
        var stats = Tracker(16);
        stats.Update(new BatchSample(0.1, 5, 0, 0, 0, Timestamp: 1_000_000));
        stats.Update(new BatchSample(0.1, 5, 0, 0, 0, Timestamp: 2_000_000));
        stats.RecordError(1, 2_500_000);
        stats.Update(new BatchSample(0.1, 50, 0, 0, 0, Timestamp: 3_000_000));
        stats.Update(new BatchSample(0.1, 50, 0, 0, 0, Timestamp: 4_000_000));
        stats.RecordError(1, 4_500_000);
        Assert.Equal(TrendDirection.Improving, stats.GetComprehensiveStats().ErrorTrend);
    }

    /// <summary>An error-rate change of exactly the absolute floor (0.001) is stable.</summary>
    [Fact]
    public void ErrorTrend_ChangeOfExactlyTheFloor_IsStable()
    {
        var stats = Tracker(16);
        stats.Update(new BatchSample(0.1, 500, 0, 0, 0, Timestamp: 1_000_000));
        stats.Update(new BatchSample(0.1, 500, 0, 0, 0, Timestamp: 2_000_000));
        stats.Update(new BatchSample(0.1, 500, 0, 0, 0, Timestamp: 3_000_000));
        stats.Update(new BatchSample(0.1, 500, 0, 0, 0, Timestamp: 4_000_000));
        stats.RecordError(1, 4_500_000); // newer half: 1 / 1000 items = 0.001 exactly
        Assert.Equal(TrendDirection.Stable, stats.GetComprehensiveStats().ErrorTrend);
        stats.RecordError(1, 4_600_000); // 0.002
        Assert.Equal(TrendDirection.Degrading, stats.GetComprehensiveStats().ErrorTrend);
    }
}
