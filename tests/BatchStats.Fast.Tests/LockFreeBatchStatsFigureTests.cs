using System;
using System.Collections.Generic;
using System.Linq;
using BatchStats.Fast.Baseline;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// Every figure at the edges of the window, on both implementations, against the sort-based reference; and the histories
/// numpy computed (TestData/numpy_golden.json). .ci/run runs it again with DOTNET_EnableAVX2=0 and DOTNET_EnableHWIntrinsic=0.
/// </summary>
public sealed class LockFreeBatchStatsFigureTests
{
    public enum Data
    {
        Random,
        Duplicates,
        Zeros,
        Span, // 1e-9 .. 1e9
    }

    public static TheoryData<int, int, Data> Cases()
    {
        var data = new TheoryData<int, int, Data>();
        foreach (Data kind in Enum.GetValues<Data>())
        {
            foreach ((int window, int count) in new[] { (10, 0), (10, 1), (10, 10), (10, 11), (10, 1000), (1, 5), (7, 7 * 50 + 3), (1000, 1000), (1000, 1001), (257, 5000) })
            {
                data.Add(window, count, kind);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void LockFree_History_MatchesReference(int window, int count, Data kind) =>
        Check(new LockFreeBatchStats(window, 0), window, count, kind);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Locked_History_MatchesReference(int window, int count, Data kind) =>
        Check(new LockedBatchStats(window, 0), window, count, kind);

    [Fact]
    public void GetStats_Empty_EveryFigureIsZero()
    {
        IReadOnlyDictionary<string, double> d = new LockFreeBatchStats().GetStats().ToDictionary();
        Assert.All(d.Values, v => Assert.Equal(0.0, v));
        Assert.Equal(24, d.Count);
    }

    [Fact]
    public void GetStats_OneSample_EveryPercentileIsThatSample()
    {
        var stats = new LockFreeBatchStats(100, 0);
        stats.Update(0.125, 8, 0.5, latency: 0.75, queueLength: 3);
        BatchStatsSnapshot s = stats.GetStats();
        Assert.Equal(0.125, s.MedianProcessingTime);
        Assert.Equal(0.125, s.P95ProcessingTime);
        Assert.Equal(0.125, s.P99ProcessingTime);
        Assert.Equal(0.125, s.MinProcessingTime);
        Assert.Equal(0.125, s.MaxProcessingTime);
        Assert.Equal(0.75, s.P95Latency);
        Assert.Equal(0.75, s.P99Latency);
        Assert.Equal(64.0, s.Throughput);
        Assert.Equal(8, s.MaxBatchSize);
        Assert.Equal(3, s.MaxQueueLength);
        Assert.Equal(1, s.WindowCount);
    }

    [Fact]
    public void Throughput_MoreBatchesThanWindow_UsesWindowedBatchSizes()
    {
        // The reference Python class divided the all-time total by the windowed time; this one does not.
        var stats = new LockFreeBatchStats(10, 0);
        for (int i = 0; i < 1000; i++)
        {
            stats.Update(0.5, 10, 0);
        }

        BatchStatsSnapshot s = stats.GetStats();
        Assert.Equal(20.0, s.Throughput);
        Assert.Equal(10_000, s.TotalProcessed);
        Assert.Equal(1000, s.BatchCount);
    }

    [Fact]
    public void Throughput_AllProcessingTimesZero_IsZero()
    {
        var stats = new LockFreeBatchStats(10, 0);
        stats.Update(0, 10, 0);
        Assert.Equal(0.0, stats.GetStats().Throughput);
    }

    [Fact]
    public void ErrorRate_ErrorsOverProcessed_AllTime()
    {
        var stats = new LockFreeBatchStats(2, 0);
        stats.RecordError();
        Assert.Equal(1.0, stats.GetStats().ErrorRate); // max(1, 0) in the denominator
        for (int i = 0; i < 5; i++)
        {
            stats.Update(0.1, 20, 0);
        }

        stats.RecordError(4);
        BatchStatsSnapshot s = stats.GetStats();
        Assert.Equal(5, s.TotalErrors);
        Assert.Equal(5.0 / 100, s.ErrorRate);
    }

    [Fact]
    public void PeakThroughput_IsHighWaterMark()
    {
        var stats = new LockFreeBatchStats(1, 0);
        stats.Update(1, 100, 0);
        Assert.Equal(100, stats.GetStats().PeakThroughput);
        stats.Update(1, 10, 0);
        BatchStatsSnapshot s = stats.GetStats();
        Assert.Equal(10, s.Throughput);
        Assert.Equal(100, s.PeakThroughput);
    }

    /// <summary>
    /// The peak is one high-water mark across every kind of read: a burst seen only by one reader (a snapshot, the
    /// analysis, or a merge from scratch) is still the peak that every later reader of any kind reports.
    /// </summary>
    [Theory]
    [InlineData("stats", "analysis")]
    [InlineData("analysis", "stats")]
    [InlineData("analysis", "analysis")]
    [InlineData("scratch", "stats")]
    [InlineData("scratch", "analysis")]
    public void PeakThroughput_BurstSeenByOneKindOfRead_IsThePeakOfTheNext(string burstReader, string laterReader)
    {
        var stats = new LockFreeBatchStats(1, 0);
        static BatchStatsSnapshot Read(LockFreeBatchStats stats, string reader) => reader switch
        {
            "stats" => stats.GetStats(),
            "analysis" => stats.GetComprehensiveStats().Snapshot,
            _ => stats.GetStatsFromScratch(),
        };

        stats.Update(1, 100, 0);
        Assert.Equal(100, Read(stats, burstReader).Throughput);
        stats.Update(1, 10, 0);
        BatchStatsSnapshot later = Read(stats, laterReader);
        Assert.Equal(10, later.Throughput);
        Assert.Equal(100, later.PeakThroughput);
    }

    internal static BatchSample Sample(Random rng, Data kind, long timestamp)
    {
        double Next() => kind switch
        {
            Data.Random => rng.NextDouble() * 0.2,
            Data.Duplicates => new[] { 0.001, 0.01, 0.5 }[rng.Next(3)],
            Data.Zeros => rng.Next(2) == 0 ? 0 : rng.NextDouble(),
            _ => Math.Pow(10, (rng.NextDouble() * 18) - 9),
        };

        return new BatchSample(Next(), rng.Next(0, 64), Next(), Next(), rng.Next(0, 100), timestamp);
    }

    private static void Check(IBatchStats stats, int window, int count, Data kind)
    {
        var rng = new Random(window * 7919 + count + (int)kind);
        var reference = new ReferenceStats(window);
        for (int i = 0; i < count; i++)
        {
            BatchSample s = Sample(rng, kind, i + 1);
            stats.Update(s);
            reference.Add(s);
        }

        SnapshotAssert.Matches(reference.Figures(), stats.GetStats(), $"w={window} n={count} {kind}");
    }

    [Theory]
    [MemberData(nameof(Golden.HistoryNames), MemberType = typeof(Golden))]
    public void LockFree_NumpyHistory_FiguresMatchNumpy(string name) => CheckHistory(name, h => new LockFreeBatchStats(h.Window, 0));

    [Theory]
    [MemberData(nameof(Golden.HistoryNames), MemberType = typeof(Golden))]
    public void Locked_NumpyHistory_FiguresMatchNumpy(string name) => CheckHistory(name, h => new LockedBatchStats(h.Window, 0));

    private static void CheckHistory(string name, Func<Golden.History, IBatchStats> create)
    {
        Golden.History h = Golden.File_.Histories.Single(x => x.Name == name);
        IBatchStats stats = create(h);
        for (int i = 0; i < h.ProcessingTimes.Length; i++)
        {
            stats.Update(new BatchSample(h.ProcessingTimes[i], h.BatchSizes[i], 0, h.Latencies[i], 0, Timestamp: i + 1));
        }

        var expected = new Dictionary<string, double>(h.Expected);
        SnapshotAssert.Matches(expected, stats.GetStats(), name);
    }
}
