using System;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// The tracker's option checks and the out-of-line record paths a Stryker pass found untested: each option's rule
/// and message, the window-size bound itself, <c>RecordError</c>'s bad timestamp under both policies, and the
/// self-stamps of the slow paths.
/// </summary>
public sealed class LockFreeBatchStatsArgumentTests
{
    [Fact]
    public void Options_EachRule_ThrowsNamingTheOptionWithTheRule()
    {
        Assert.Equal("options.TimeProvider", Assert.Throws<ArgumentNullException>(() => new LockFreeBatchStats(new BatchStatsOptions { TimeProvider = null! })).ParamName);
        AssertRule(new BatchStatsOptions { CacheValidTime = TimeSpan.FromTicks(-1) }, "options.CacheValidTime", "The cache valid time must not be negative.");
        AssertRule(new BatchStatsOptions { HistogramScale = 7 }, "options.HistogramScale", "The histogram scale must be between 0 and 6.");
        AssertRule(new BatchStatsOptions { MaxSampleAge = TimeSpan.Zero }, "options.MaxSampleAge", "The maximum sample age must be positive (or null for none).");
        AssertRule(new BatchStatsOptions { WindowSize = LockFreeBatchStats.MaxWindowSize + 1 }, "options.WindowSize", "The window size must be between 1 and 16777216.");
        ArgumentOutOfRangeException seconds = Assert.Throws<ArgumentOutOfRangeException>(() => new LockFreeBatchStats(10, -0.5));
        Assert.Equal("cacheValidTime", seconds.ParamName);
        Assert.StartsWith("The cache valid time must be", seconds.Message, StringComparison.Ordinal);
        Assert.Equal("cacheValidTime", Assert.Throws<ArgumentOutOfRangeException>(() => new LockFreeBatchStats(10, 1e300)).ParamName); // beyond a TimeSpan: not an OverflowException from TimeSpan.FromSeconds
        Assert.Equal(TimeSpan.FromSeconds(TimeSpan.MaxValue.TotalSeconds), new LockFreeBatchStats(10, TimeSpan.MaxValue.TotalSeconds).Options.CacheValidTime);

        var largest = new LockFreeBatchStats(LockFreeBatchStats.MaxWindowSize, 0); // the bound itself is a window size (rings are allocated on first record)
        Assert.Equal(LockFreeBatchStats.MaxWindowSize, largest.Options.WindowSize);
    }

    [Fact]
    public void RecordError_NegativeTimestamp_ThrowsOrIsDroppedAndCounted()
    {
        var strict = new LockFreeBatchStats(8, 0);
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => strict.RecordError(1, -5));
        Assert.Equal("timestamp", e.ParamName);
        Assert.StartsWith("Timestamp must be Stopwatch ticks (positive), or 0 for now.", e.Message, StringComparison.Ordinal);
        Assert.Equal(0, strict.GetStats().TotalErrors);

        var lenient = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 8, CacheValidTime = TimeSpan.Zero, InvalidSamplePolicy = InvalidSamplePolicy.Drop });
        lenient.RecordError(3, -5);
        lenient.RecordError(-2); // a count below 1: dropped too, and it adds no (negative) errors
        BatchStatsSnapshot s = lenient.GetStats();
        Assert.Equal((0L, 2L), (s.TotalErrors, s.RejectedSamples));
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => strict.RecordError(0)).ParamName);
        Assert.StartsWith("The error count must be at least 1.", Assert.Throws<ArgumentOutOfRangeException>(() => strict.RecordError(0)).Message, StringComparison.Ordinal);
    }

    /// <summary>Timestamp 0 means "now" on the out-of-line paths too: the sample and the errors get the tracker clock's time, not 0.</summary>
    [Fact]
    public void SlowPaths_TimestampZero_StampedWithTheClock()
    {
        var clock = new ManualTimeProvider { Now = 5_000 };
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 40, CacheValidTime = TimeSpan.Zero, TimeProvider = clock });
        stats.Update(new BatchSample(-0.0, 1, 0, 0, 0, 0)); // -0.0 takes the out-of-line path
        var copied = new BatchSample[1];
        Assert.Equal(1, stats.CopyRecentSamples(copied));
        Assert.Equal(5_000, copied[0].Timestamp);

        for (int i = 1; i <= 20; i++)
        {
            stats.Update(new BatchSample(0.01, 10, 0, 0.01, 0, 5_000 + i)); // caller-stamped, up to 5 020
        }

        clock.Now = 5_020;
        stats.RecordError(2); // self-stamped now: in the newer half of the window
        Assert.Equal(TrendDirection.Degrading, stats.GetComprehensiveStats().ErrorTrend);
    }

    private static void AssertRule(BatchStatsOptions options, string paramName, string message)
    {
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => new LockFreeBatchStats(options));
        Assert.Equal(paramName, e.ParamName);
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }
}
