using System;
using System.Collections.Generic;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>Bad input on the public record paths and constructors: a clear exception naming the parameter, nothing recorded lost.</summary>
public sealed class LockFreeBatchStatsBadInputTests
{
    public static TheoryData<string, double, int, double, double, int> BadArguments()
    {
        var data = new TheoryData<string, double, int, double, double, int>();
        foreach (double bad in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity, -1e-9, -5 })
        {
            data.Add("processingTime", bad, 1, 0, 0, 0);
            data.Add("queueTime", 0.1, 1, bad, 0, 0);
            data.Add("latency", 0.1, 1, 0, bad, 0);
        }

        data.Add("batchSize", 0.1, -1, 0, 0, 0);
        data.Add("batchSize", 0.1, int.MinValue, 0, 0, 0);
        data.Add("queueLength", 0.1, 1, 0, 0, -3);
        return data;
    }

    private static LockFreeBatchStats Seeded(InvalidSamplePolicy policy = InvalidSamplePolicy.Throw)
    {
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 8, CacheValidTime = TimeSpan.Zero, InvalidSamplePolicy = policy });
        for (int i = 0; i < 5; i++)
        {
            stats.Update(0.01 * (i + 1), 4, 0.001, 0.02, 2);
        }

        stats.RecordError(2);
        return stats;
    }

    private static void AssertSame(IReadOnlyDictionary<string, double> before, BatchStatsSnapshot after) =>
        Assert.Equal(before, after.ToDictionary());

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void Update_BadArgument_ThrowsNamingParameterAndRecordsNothing(string param, double pt, int bs, double qt, double lat, int ql)
    {
        LockFreeBatchStats stats = Seeded();
        var before = stats.GetStats().ToDictionary();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => stats.Update(pt, bs, qt, lat, ql));
        Assert.Equal(param, ex.ParamName);
        AssertSame(before, stats.GetStats());
    }

    [Theory]
    [MemberData(nameof(BadArguments))]
    public void UpdateStruct_BadField_ThrowsNamingSampleAndField(string param, double pt, int bs, double qt, double lat, int ql)
    {
        LockFreeBatchStats stats = Seeded();
        var before = stats.GetStats().ToDictionary();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => stats.Update(new BatchSample(pt, bs, qt, lat, ql)));
        Assert.Equal("sample", ex.ParamName);
        Assert.Contains("sample." + char.ToUpperInvariant(param[0]) + param[1..], ex.Message, StringComparison.Ordinal);
        AssertSame(before, stats.GetStats());
    }

    [Fact]
    public void UpdateStruct_NegativeTimestamp_Throws()
    {
        LockFreeBatchStats stats = Seeded();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => stats.Update(new BatchSample(0.1, 1, 0, Timestamp: -5)));
        Assert.Contains("Timestamp", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UpdateMany_OneBadSample_RecordsNothingAndNamesIndex()
    {
        LockFreeBatchStats stats = Seeded();
        var before = stats.GetStats().ToDictionary();
        BatchSample[] samples = [new(0.1, 1, 0), new(0.2, 2, 0), new(0.3, 3, double.NaN), new(0.4, 4, 0)];
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => stats.UpdateMany(samples));
        Assert.Equal("samples", ex.ParamName);
        Assert.Contains("samples[2].QueueTime", ex.Message, StringComparison.Ordinal);
        AssertSame(before, stats.GetStats());
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(int.MinValue)]
    public void RecordError_CountBelowOne_ThrowsNamingCount(int count)
    {
        LockFreeBatchStats stats = Seeded();
        var before = stats.GetStats().ToDictionary();
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => stats.RecordError(count));
        Assert.Equal("count", ex.ParamName);
        AssertSame(before, stats.GetStats());
    }

    [Fact]
    public void UpdateInSample_SlowPath_TwoTrackersOnOneThread_EachSampleLandsInItsOwnTracker()
    {
        // Update(in sample) takes its slow path (self-stamp, rejection) both when this thread's cached ring is the
        // tracker's own and when it is another tracker's; either way the sample and the rejection must land here.
        var options = new BatchStatsOptions { WindowSize = 16, CacheValidTime = TimeSpan.Zero, InvalidSamplePolicy = InvalidSamplePolicy.Drop };
        var a = new LockFreeBatchStats(options);
        var b = new LockFreeBatchStats(options);
        for (int i = 0; i < 3; i++)
        {
            a.Update(new BatchSample(0.1, 1, 0)); // self-stamped; the cached ring is b's from the second round on
            a.Update(new BatchSample(0.1, 1, 0)); // self-stamped; the cached ring is a's own
            a.Update(new BatchSample(-1, 1, 0, Timestamp: 5)); // rejected with a's own ring cached
            b.Update(new BatchSample(-1, 1, 0, Timestamp: 5)); // rejected with a's ring cached
            b.Update(new BatchSample(0.2, 2, 0));
        }

        BatchStatsSnapshot sa = a.GetStats(), sb = b.GetStats();
        Assert.Equal((6, 6, 3), (sa.BatchCount, sa.TotalProcessed, sa.RejectedSamples));
        Assert.Equal((3, 6, 3), (sb.BatchCount, sb.TotalProcessed, sb.RejectedSamples));
        Assert.Equal(0.1, sa.MaxProcessingTime);
        Assert.Equal(0.2, sb.MinProcessingTime);
    }

    [Fact]
    public void DropPolicy_BadInput_NeverThrowsCountsRejectionsKeepsValidOnes()
    {
        LockFreeBatchStats stats = Seeded(InvalidSamplePolicy.Drop);
        BatchStatsSnapshot before = stats.GetStats();
        stats.Update(double.NaN, 1, 0);
        stats.Update(new BatchSample(0.1, -1, 0));
        stats.RecordError(0);
        stats.UpdateMany([new(0.5, 1, 0), new(-1, 1, 0), new(0.5, 1, 0)]);
        BatchStatsSnapshot after = stats.GetStats();
        Assert.Equal(4, after.RejectedSamples);
        Assert.Equal(before.BatchCount + 2, after.BatchCount);
        Assert.Equal(before.TotalProcessed + 2, after.TotalProcessed);
        Assert.Equal(before.TotalErrors, after.TotalErrors);
        Assert.Equal(0.5, after.MaxProcessingTime);
        Assert.Equal(7, after.WindowCount);
    }

    [Fact]
    public void ZeroValues_AreValid()
    {
        var stats = new LockFreeBatchStats(4, 0);
        stats.Update(0, 0, 0, 0, 0);
        stats.Update(new BatchSample(-0.0, 0, 0));
        Assert.Equal(2, stats.GetStats().WindowCount);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(LockFreeBatchStats.MaxWindowSize + 1)]
    public void Constructor_BadWindow_ThrowsNamingParameter(int window)
    {
        Assert.Equal("windowSize", Assert.Throws<ArgumentOutOfRangeException>(() => new LockFreeBatchStats(window)).ParamName);
        Assert.Equal("options.WindowSize", Assert.Throws<ArgumentOutOfRangeException>(() => new LockFreeBatchStats(new BatchStatsOptions { WindowSize = window })).ParamName);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(-1.0)]
    [InlineData(double.PositiveInfinity)]
    public void Constructor_BadCacheTime_ThrowsNamingParameter(double seconds) =>
        Assert.Equal("cacheValidTime", Assert.Throws<ArgumentOutOfRangeException>(() => new LockFreeBatchStats(10, seconds)).ParamName);

    [Fact]
    public void Constructor_BadOptions_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => new LockFreeBatchStats(null!));
        Assert.Equal("options.MaxSampleAge", Assert.Throws<ArgumentOutOfRangeException>(() => new LockFreeBatchStats(new BatchStatsOptions { MaxSampleAge = TimeSpan.Zero })).ParamName);
        Assert.Equal("options.CacheValidTime", Assert.Throws<ArgumentOutOfRangeException>(() => new LockFreeBatchStats(new BatchStatsOptions { CacheValidTime = TimeSpan.FromSeconds(-1) })).ParamName);
    }
}
