using System;
using System.Collections.Generic;
using System.Linq;
using BatchStats.Fast.Baseline;
using BatchStats.Fast.Internal.Kernels;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>Percentiles and means against values numpy computed (TestData/numpy_golden.json).</summary>
public sealed class NumpyGoldenTests
{
    public static TheoryData<string> CaseNames() => new(Golden.File_.Cases.Select(c => c.Name));

    public static TheoryData<string> HistoryNames() => new(Golden.File_.Histories.Select(h => h.Name));

    [Fact]
    public void GoldenFile_IsLoaded_HasCasesAndHistories()
    {
        Assert.True(Golden.File_.Cases.Count > 100);
        Assert.True(Golden.File_.Histories.Count >= 8);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void PercentilesCompute_NumpyCase_MatchesBitForBit(string name)
    {
        Golden.PercentileCase c = Golden.File_.Cases.Single(x => x.Name == name);
        double[] work = (double[])c.Values.Clone();
        double[] results = new double[c.Percentiles.Length];
        Percentiles.Compute(work, c.Percentiles, results, c.Values.Min(), c.Values.Max(), System.Buffers.ArrayPool<double>.Shared, System.Buffers.ArrayPool<int>.Shared);
        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(c.Expected[i]), BitConverter.DoubleToInt64Bits(results[i]));
        }

        // The reference used elsewhere in the tests agrees with numpy too.
        double[] sorted = c.Values.OrderBy(x => x).ToArray();
        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal(c.Expected[i], ReferenceStats.NumpyPercentile(sorted, c.Percentiles[i]));
        }
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void FusedAggregate_NumpyCase_MeanWithinToleranceOfExact(string name)
    {
        Golden.PercentileCase c = Golden.File_.Cases.Single(x => x.Name == name);
        Aggregate a = FusedAggregate.Compute(c.Values);
        Assert.True(SnapshotAssert.RelativelyClose(c.ExactMean, a.Sum / c.Values.Length, SnapshotAssert.MeanTolerance));
        Assert.Equal(c.Values.Min(), a.Min);
        Assert.Equal(c.Values.Max(), a.Max);
    }

    [Theory]
    [MemberData(nameof(HistoryNames))]
    public void LockFree_NumpyHistory_FiguresMatchNumpy(string name) => CheckHistory(name, h => new LockFreeBatchStats(h.Window, 0));

    [Theory]
    [MemberData(nameof(HistoryNames))]
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
