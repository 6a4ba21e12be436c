using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using BatchStats.Fast.Internal;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="LockFreeBatchStats.GetHistograms"/>: the all-time counts a tracker records, while its window rolls,
/// across reused rings and beyond the recorded range; the scale option.
/// </summary>
public sealed class LockFreeBatchStatsHistogramTests
{
    [Fact]
    public void GetHistograms_CountsEveryValueEverRecorded_WhileTheWindowRolls()
    {
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 10, CacheValidTime = TimeSpan.Zero, HistogramScale = 2 });
        var processing = new List<double>();
        var rng = new Random(5);
        for (int i = 1; i <= 500; i++)
        {
            double pt = i % 50 == 0 ? 0 : Math.Exp((rng.NextDouble() * 10) - 8);
            processing.Add(pt);
            stats.Update(new BatchSample(pt, 1, pt / 2, pt * 3, 0, i));
        }

        BatchStatsHistograms h = stats.GetHistograms();
        Assert.Equal(500, h.ProcessingTime.Count);
        Assert.Equal(10, h.ProcessingTime.ZeroCount);
        Assert.Equal(2, h.ProcessingTime.Scale);
        Assert.Equal(ReferenceStats.ExactSum(processing), h.ProcessingTime.Sum, 1e-12);
        Assert.Equal(processing.Min(), h.ProcessingTime.Min);
        Assert.Equal(processing.Max(), h.ProcessingTime.Max);
        Assert.Equal(processing.Max() * 3, h.Latency.Max);
        ExponentialLayout layout = ExponentialLayout.ForScale(2);
        var expected = processing.Where(v => v > 0).GroupBy(layout.Index).ToDictionary(g => g.Key, g => (long)g.Count());
        for (int i = 0; i < h.ProcessingTime.Counts.Length; i++)
        {
            Assert.Equal(expected.GetValueOrDefault(h.ProcessingTime.Offset + i), h.ProcessingTime.Counts[i]);
        }

        Assert.Equal(10, stats.GetStats().WindowCount);
    }

    [Fact]
    public void GetHistograms_ExitedThreadsRingReused_CountsCarryOn()
    {
        var stats = new LockFreeBatchStats(4, 0);
        for (int t = 0; t < 20; t++)
        {
            int thread = t;
            var worker = new Thread(() => stats.Update(new BatchSample(0.5, 1, 0.25, 1, 0, thread + 1)));
            worker.Start();
            worker.Join();
            stats.GetStats(); // publishes the window cutoff, so exited threads' rings are reused
        }

        Assert.InRange(stats.RingCount, 1, 6);
        Assert.Equal(20, stats.GetHistograms().ProcessingTime.Count);
        Assert.Equal(10.0, stats.GetHistograms().ProcessingTime.Sum);
    }

    /// <summary>
    /// Values from 1e-18 s to 1e11 s and zeros, beyond the recorded range at both ends: the tracker's histogram keeps
    /// the exact count, minimum and maximum, passes <see cref="ExponentialHistogram.Create"/>'s checks on the way out
    /// and through JSON, and its extreme quantiles are the exact minimum and maximum.
    /// </summary>
    [Property(MaxTest = 200)]
    public Property GetHistograms_ValuesBeyondTheRangeAtBothEnds_KeepTheExactExtremesAndTravel() =>
        Prop.ForAll(
            Gen.Choose(0, 6).ToArbitrary(),
            Gen.Choose(0, 1_000_000).Select(x => x < 30_000 ? 0 : Math.Exp((x / 1e6 * 67) - 41)).ArrayOf().Where(a => a.Length > 0).ToArbitrary(),
            (scale, values) =>
            {
                ExponentialHistogram h = Record(values, scale);
                ExponentialHistogram received = BatchStatsJson.DeserializeHistograms(BatchStatsJson.Serialize(new BatchStatsHistograms(h, h, h))).Latency;
                return h.Count == values.Length && h.Min == values.Min() && h.Max == values.Max()
                    && received.Counts.SequenceEqual(h.Counts) && (received.Min, received.Max) == (h.Min, h.Max)
                    && h.ValueAtQuantile(0) == values.Min() && h.ValueAtQuantile(1) == values.Max();
            });

    [Fact]
    public void GetHistograms_EveryValueAboveTheRecordedRange_KeepsTheExactMinAndMax()
    {
        // All in the highest bucket, whose upper bound is 2^16 s: the minimum lies above the only counted bucket.
        var stats = new LockFreeBatchStats(10, 0);
        stats.Update(1e6, 1, 1e5, 2e6);
        stats.Update(3e5, 1, 7e4, 9e5);
        BatchStatsHistograms h = stats.GetHistograms();
        Assert.Equal((3e5, 1e6, 1), (h.ProcessingTime.Min, h.ProcessingTime.Max, h.ProcessingTime.Counts.Length));
        Assert.Equal((7e4, 1e5), (h.QueueTime.Min, h.QueueTime.Max));
        Assert.Equal((9e5, 2e6), (h.Latency.ValueAtQuantile(0), h.Latency.ValueAtQuantile(1)));
        BatchStatsHistograms received = BatchStatsJson.DeserializeHistograms(BatchStatsJson.Serialize(h)); // and it travels
        Assert.Equal((3e5, 1e6), (received.ProcessingTime.Min, received.ProcessingTime.Max));
    }

    [Fact]
    public void ValueAtQuantile_BeyondTheRecordedRange_IsExactAtTheEnds()
    {
        // 1e6 s is above 2^16 s, so it is counted in the highest bucket; q = 1 is still the exact maximum.
        var stats = new LockFreeBatchStats(10, 0);
        stats.Update(0.001, 1, 0, 0.002);
        stats.Update(1e-9, 1, 0, 1e6);
        stats.Update(0.0005, 1, 0, 0.003);
        BatchStatsHistograms h = stats.GetHistograms();
        Assert.Equal((0.002, 1e6), (h.Latency.ValueAtQuantile(0), h.Latency.ValueAtQuantile(1)));
        Assert.Equal((1e-9, 0.001), (h.ProcessingTime.ValueAtQuantile(0), h.ProcessingTime.ValueAtQuantile(1)));
        Assert.InRange(h.Latency.ValueAtQuantile(0.5), 0.003 / 1.0443, 0.003 * 1.0443); // rank 1 of 3: its bucket's midpoint
    }

    [Fact]
    public void Options_HistogramScaleOutOfRange_ThrowsNamingIt()
    {
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => new LockFreeBatchStats(new BatchStatsOptions { HistogramScale = 7 }));
        Assert.Equal("options.HistogramScale", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LockFreeBatchStats(new BatchStatsOptions { HistogramScale = -1 }));
    }

    /// <summary>The processing-time histogram of a tracker at <paramref name="scale"/> that recorded <paramref name="values"/>, one stamp apart.</summary>
    internal static ExponentialHistogram Record(double[] values, int scale)
    {
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 16, HistogramScale = scale });
        long stamp = 0;
        foreach (double v in values)
        {
            stats.Update(new BatchSample(v, 1, 0, v, 0, ++stamp));
        }

        return stats.GetHistograms().ProcessingTime;
    }
}
