using System;
using System.Diagnostics;
using System.Threading;
using BatchStats.Fast.Internal;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>The coarse clock's tests run alone: any other test's self-stamped record keeps the ticker awake.</summary>
[CollectionDefinition(nameof(CoarseClockTests), DisableParallelization = true)]
public sealed class CoarseClockTestGroup;

/// <summary>
/// The shared coarse clock behind self-stamps: started by the first self-stamped record, it publishes a recent
/// Stopwatch timestamp from a thread that never keeps a process alive, and it costs nothing while no thread
/// self-stamps: it parks about two seconds after the last demand (writers then read the precise clock), stays parked
/// without spinning, and the next self-stamped record wakes it again.
/// </summary>
[Collection(nameof(CoarseClockTests))]
public sealed class CoarseClockTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public void SelfStampedRecords_StartTheTicker_AsABackgroundThread_PublishingARecentTimestamp()
    {
        var stats = new LockFreeBatchStats(10, 0);
        WaitUntil(
            () =>
            {
                stats.Update(0.001, 1, 0); // each record in a new tick (or with no ticker) notes demand
                return CoarseClock.Read() != CoarseClock.Stopped;
            },
            "the ticker to run");

        long tick = CoarseClock.Read();
        long now = Stopwatch.GetTimestamp();
        Assert.NotEqual(CoarseClock.Stopped, tick);
        Assert.InRange(tick, now - (5 * Stopwatch.Frequency), now); // a Stopwatch timestamp, refreshed about every millisecond
        Thread? ticker = CoarseClock.Ticker;
        Assert.NotNull(ticker);
        Assert.True(ticker.IsBackground, "the ticker parks when idle, and a foreground thread parked forever would keep the process from exiting");
        Assert.Equal("BatchStats.Fast clock", ticker.Name);
    }

    [Fact]
    public void Ticker_ParksWhenIdle_StaysParked_AndWakesForTheNextSelfStamp()
    {
        var stats = new LockFreeBatchStats(10, 0);
        stats.Update(0.001, 1, 0); // starts the ticker if no test has yet
        WaitUntil(() => CoarseClock.Read() != CoarseClock.Stopped, "the ticker to run");
        WaitUntil(() => CoarseClock.Read() == CoarseClock.Stopped, "the ticker to park, about 2 s after the last demand");
        AssertStaysParked();
        long parks = CoarseClock.Parks;

        stats.Update(0.001, 1, 0); // the precise path: notes demand and wakes the parked ticker
        WaitUntil(() => CoarseClock.Read() != CoarseClock.Stopped, "the ticker to wake for a self-stamped record");
        WaitUntil(() => CoarseClock.Read() == CoarseClock.Stopped, "the ticker to park again");
        AssertStaysParked();
        Assert.True(CoarseClock.Parks > parks, "the second park was counted"); // the count the no-spinning check relies on
    }

    private static void AssertStaysParked()
    {
        long parks = CoarseClock.Parks;
        Thread.Sleep(300);
        Assert.Equal(CoarseClock.Stopped, CoarseClock.Read());
        Assert.Equal(parks, CoarseClock.Parks); // parked once, not parking over and over (a spinning ticker)
    }

    private static void WaitUntil(Func<bool> condition, string what)
    {
        var elapsed = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(elapsed.Elapsed < Patience, $"waited {elapsed.Elapsed} for {what}");
            Thread.Sleep(1);
        }
    }
}
