using System;
using System.Diagnostics;
using System.Threading;
using BatchStats.Fast.Internal;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// The shared coarse clock behind self-stamps: started by the first self-stamped record, it publishes a recent
/// Stopwatch timestamp, and its thread never keeps a process alive.
/// </summary>
public sealed class CoarseClockTests
{
    [Fact]
    public void SelfStampedRecords_StartTheTicker_AsABackgroundThread_PublishingARecentTimestamp()
    {
        var stats = new LockFreeBatchStats(10, 0);
        var elapsed = Stopwatch.StartNew();
        while (CoarseClock.Read() == CoarseClock.Stopped && elapsed.Elapsed < TimeSpan.FromSeconds(30))
        {
            stats.Update(0.001, 1, 0); // each record in a new tick (or with no ticker) notes demand
            Thread.Sleep(1);
        }

        long tick = CoarseClock.Read();
        long now = Stopwatch.GetTimestamp();
        Assert.NotEqual(CoarseClock.Stopped, tick);
        Assert.InRange(tick, now - (5 * Stopwatch.Frequency), now); // a Stopwatch timestamp, refreshed about every millisecond
        Thread? ticker = CoarseClock.Ticker;
        Assert.NotNull(ticker);
        Assert.True(ticker.IsBackground, "the ticker parks when idle, and a foreground thread parked forever would keep the process from exiting");
        Assert.Equal("BatchStats.Fast clock", ticker.Name);
    }
}
