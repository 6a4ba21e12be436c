using System;
using System.Linq;
using System.Text.Json;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="Hosting.BatchStatsHistory"/>: the ten minutes of points the dashboard charts, and the last minute's
/// processing-time distribution as the difference of two all-time histograms.
/// </summary>
public sealed class BatchStatsHistoryTests
{
    private static readonly DateTimeOffset s_start = new(2026, 11, 29, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void History_KeepsTheLastTenMinutes_OldestFirst()
    {
        var history = new Hosting.BatchStatsHistory();
        for (int i = 0; i < Hosting.BatchStatsHistory.Capacity + 25; i++)
        {
            history.Add(s_start.AddSeconds(i), new BatchStatsSnapshot { Throughput = i, P99ProcessingTime = i / 1000.0 });
        }

        using JsonDocument json = JsonDocument.Parse(history.ToJson());
        JsonElement[] points = [.. json.RootElement.EnumerateArray()];
        Assert.Equal(Hosting.BatchStatsHistory.Capacity, points.Length);
        Assert.Equal(25, points[0].GetProperty("throughput").GetDouble());
        Assert.Equal(Hosting.BatchStatsHistory.Capacity + 24, points[^1].GetProperty("throughput").GetDouble());
        Assert.Equal(s_start.AddSeconds(25).ToUnixTimeSeconds(), points[0].GetProperty("t").GetDouble());
    }

    /// <summary>Fewer points than the ring holds: all of them, oldest first.</summary>
    [Fact]
    public void History_FewPoints_AllOfThemOldestFirst()
    {
        var history = new Hosting.BatchStatsHistory();
        for (int i = 0; i < 3; i++)
        {
            history.Add(s_start.AddSeconds(i), new BatchStatsSnapshot { Throughput = 10 + i });
        }

        using JsonDocument json = JsonDocument.Parse(history.ToJson());
        Assert.Equal([10.0, 11.0, 12.0], json.RootElement.EnumerateArray().Select(p => p.GetProperty("throughput").GetDouble()));
    }

    /// <summary>A bucket just past the highest one of the histogram a minute ago counts whole (the older one holds none of it).</summary>
    [Fact]
    public void Distribution_BucketPastTheOlderHistogramsRange_CountsWhole()
    {
        LockFreeBatchStats stats = ScaleZeroTracker();
        var history = new Hosting.BatchStatsHistory();
        long stamp = 0;
        stats.Update(new BatchSample(0.1, 1, 0, 0.1, 0, ++stamp)); // bucket (2^-4, 2^-3]
        for (int second = 0; second <= Hosting.BatchStatsHistory.DistributionSeconds; second++)
        {
            if (second == Hosting.BatchStatsHistory.DistributionSeconds)
            {
                stats.Update(new BatchSample(0.2, 1, 0, 0.2, 0, ++stamp)); // the next bucket up, (2^-3, 2^-2]
            }

            Sample(history, stats, second);
        }

        using JsonDocument json = JsonDocument.Parse(history.DistributionJson());
        JsonElement bucket = Assert.Single(json.RootElement.EnumerateArray());
        Assert.Equal((0.125, 0.25, 1.0), (bucket.GetProperty("lower").GetDouble(), bucket.GetProperty("upper").GetDouble(), bucket.GetProperty("count").GetDouble()));
    }

    /// <summary>The last minute's processing times: the all-time histogram now minus the one a minute (60 samples) ago.</summary>
    [Fact]
    public void Distribution_IsTheDifferenceOfTwoAllTimeHistograms()
    {
        LockFreeBatchStats stats = ScaleZeroTracker();
        var history = new Hosting.BatchStatsHistory();
        long stamp = 0;
        for (int second = 0; second <= 70; second++)
        {
            stats.Update(new BatchSample(second < 10 ? 0.003 : 0.1, 1, 0, 0.1, 0, ++stamp)); // small values only in the first 10 s
            Sample(history, stats, second);
        }

        using JsonDocument json = JsonDocument.Parse(history.DistributionJson());
        JsonElement bucket = Assert.Single(json.RootElement.EnumerateArray()); // the minute holds only 0.1 s values
        Assert.Equal(60, bucket.GetProperty("count").GetDouble());
        Assert.Equal(0.0625, bucket.GetProperty("lower").GetDouble()); // 0.1 lies in (2^-4, 2^-3] at scale 0
        Assert.Equal(0.125, bucket.GetProperty("upper").GetDouble());
        Assert.Equal("[]", System.Text.Encoding.UTF8.GetString(new Hosting.BatchStatsHistory().DistributionJson()));
    }

    /// <summary>
    /// Zero durations (a coarse clock, a cached result) land in the zero bucket: the distribution shows it first, from 0
    /// to the threshold, counting only the last minute's, rather than "no batches".
    /// </summary>
    [Fact]
    public void Distribution_ZeroDurations_ShowAsTheZeroBucketFirst()
    {
        LockFreeBatchStats stats = ScaleZeroTracker();
        var history = new Hosting.BatchStatsHistory();
        long stamp = 0;
        for (int second = 0; second <= 70; second++)
        {
            stats.Update(new BatchSample(0, 1, 0, 0, 0, ++stamp));
            if (second % 2 == 0)
            {
                stats.Update(new BatchSample(1e-9, 1, 0, 0, 0, ++stamp)); // below the 2^-24 s threshold: zero bucket too
            }

            if (second == 70)
            {
                stats.Update(new BatchSample(0.1, 1, 0, 0, 0, ++stamp));
            }

            Sample(history, stats, second);
        }

        using JsonDocument json = JsonDocument.Parse(history.DistributionJson());
        JsonElement[] buckets = [.. json.RootElement.EnumerateArray()];
        Assert.Equal(2, buckets.Length);
        double threshold = stats.GetHistograms().ProcessingTime.ZeroThreshold;
        Assert.Equal((0.0, threshold, 90.0), (buckets[0].GetProperty("lower").GetDouble(), buckets[0].GetProperty("upper").GetDouble(), buckets[0].GetProperty("count").GetDouble())); // seconds 11..70: 60 zeros and 30 of 1e-9
        Assert.Equal(Math.ScaleB(1, -24), threshold);
        Assert.Equal((0.0625, 1.0), (buckets[1].GetProperty("lower").GetDouble(), buckets[1].GetProperty("count").GetDouble()));
    }

    /// <summary>In the first minute of sampling the distribution holds everything recorded, also what came before the first sample.</summary>
    [Fact]
    public void Distribution_FirstMinute_IncludesRecordsFromBeforeTheFirstSample()
    {
        LockFreeBatchStats stats = ScaleZeroTracker();
        var history = new Hosting.BatchStatsHistory();
        for (int i = 1; i <= 7; i++)
        {
            stats.Update(new BatchSample(0.003, 1, 0, 0.003, 0, i)); // before the hosted service's first sample
        }

        for (int second = 0; second < Hosting.BatchStatsHistory.DistributionSeconds; second++)
        {
            Sample(history, stats, second);
            using JsonDocument json = JsonDocument.Parse(history.DistributionJson());
            Assert.Equal(7, Assert.Single(json.RootElement.EnumerateArray()).GetProperty("count").GetDouble());
        }

        Sample(history, stats, Hosting.BatchStatsHistory.DistributionSeconds);
        Assert.Equal("[]", System.Text.Encoding.UTF8.GetString(history.DistributionJson())); // a minute on: nothing in the last one
    }

    /// <summary>A tracker whose all-time histograms are at scale 0 (one bucket per power of two), and no cache.</summary>
    private static LockFreeBatchStats ScaleZeroTracker() =>
        new(new BatchStatsOptions { WindowSize = 100, CacheValidTime = TimeSpan.Zero, HistogramScale = 0 });

    /// <summary>What the hosted service does once a second: adds the tracker's snapshot and all-time processing times.</summary>
    private static void Sample(Hosting.BatchStatsHistory history, LockFreeBatchStats stats, int second) =>
        history.Add(s_start.AddSeconds(second), stats.GetStats(), stats.GetHistograms().ProcessingTime);
}
