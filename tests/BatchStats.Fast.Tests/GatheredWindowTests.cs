using System.Linq;
using System.Threading;
using BatchStats.Fast.Internal;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="GatheredWindow.Gather"/> driven directly on rings it owns: the newest window across rings (ordered runs
/// and not), the age limit, the per-ring segments and heads, the counters, the active writers and whether the
/// incremental reader may keep the window.
/// </summary>
public sealed class GatheredWindowTests
{
    private static WriterRing Ring(params long[] stamps) => Ring(Thread.CurrentThread, stamps);

    private static WriterRing Ring(Thread owner, params long[] stamps)
    {
        var ring = new WriterRing(new object(), 256, owner);
        foreach (long stamp in stamps)
        {
            ring.Write(stamp / 100.0, 2, 0, 0, 0, stamp);
        }

        return ring;
    }

    private static ReadContext Context(int windowSize, long oldestAllowed, params WriterRing[] rings) =>
        new(rings, windowSize, oldestAllowed, PeakSoFar: 0, ReaderPools.Shared);

    private static long[][] Segments(in GatheredWindow gathered)
    {
        var segments = new long[gathered.SegmentEnds.Length][];
        for (int r = 0, start = 0; r < segments.Length; start = gathered.SegmentEnds[r], r++)
        {
            segments[r] = gathered.Window[start..gathered.SegmentEnds[r]].ToArray().Select(s => s.Timestamp).ToArray();
        }

        return segments;
    }

    [Fact]
    public void OrderedRuns_KeepTheNewestWindowAcrossRings_SegmentPerRing()
    {
        WriterRing odd = Ring(1, 3, 5, 7, 9, 11, 13, 15, 17, 19), even = Ring(2, 4, 6, 8, 10, 12, 14, 16, 18, 20);
        using GatheredWindow gathered = GatheredWindow.Gather(Context(6, long.MinValue, odd, even));
        Assert.Equal([[15L, 17, 19], [16L, 18, 20]], Segments(gathered));
        Assert.Equal([10L, 10], gathered.Heads.ToArray());
        Assert.Equal(new RingCounters(20, 40, 0, 0), gathered.Totals);
        Assert.Equal(2, gathered.ActiveWriters);
        Assert.True(gathered.CanSeed);
    }

    [Fact]
    public void AgeLimit_DropsOlderSamplesBeforeTheWindowIsCut()
    {
        WriterRing odd = Ring(1, 3, 5, 7, 9, 11, 13, 15, 17, 19), even = Ring(2, 4, 6, 8, 10, 12, 14, 16, 18, 20);
        using GatheredWindow gathered = GatheredWindow.Gather(Context(6, 17, odd, even));
        Assert.Equal([[17L, 19], [18L, 20]], Segments(gathered));
        Assert.Equal(new RingCounters(20, 40, 0, 0), gathered.Totals); // counters are all-time
    }

    /// <summary>
    /// Stamps at <see cref="long.MaxValue"/> (valid: any non-negative stamp is) tie across rings: the window takes the
    /// later-registered ring's ties first, then the newest records of the earlier ring, with no stamp + 1 overflowing.
    /// </summary>
    [Fact]
    public void OrderedRuns_StampsTiedAtTheLargestStamp_CutByRingThenRecordOrder()
    {
        const long Max = long.MaxValue;
        WriterRing a = Ring(Max - 2, Max, Max, Max), b = Ring(Max - 1, Max, Max);
        using GatheredWindow gathered = GatheredWindow.Gather(Context(4, long.MinValue, a, b));
        Assert.Equal([[Max, Max], [Max, Max]], Segments(gathered));
        Assert.Equal([4L, 3], gathered.Heads.ToArray());
        Assert.True(gathered.CanSeed);
    }

    [Fact]
    public void RunsOutOfTimestampOrder_StillTheNewestWindow_ButNotKept()
    {
        WriterRing a = Ring(5, 1, 7, 3), b = Ring(2, 8, 4, 6);
        using GatheredWindow gathered = GatheredWindow.Gather(Context(3, long.MinValue, a, b));
        long[][] segments = Segments(gathered);
        Assert.Equal([7L], segments[0]);
        Assert.Equal([6L, 8], segments[1].Order());
        Assert.False(gathered.CanSeed);
    }

    [Fact]
    public void RingWithNothingInTheWindow_IsNotAnActiveWriter()
    {
        WriterRing old = Ring(1, 2, 3), recent = Ring(10, 11, 12, 13);
        using GatheredWindow gathered = GatheredWindow.Gather(Context(4, long.MinValue, old, recent));
        Assert.Equal([[], [10L, 11, 12, 13]], Segments(gathered));
        Assert.Equal(1, gathered.ActiveWriters);
        Assert.Equal(7, gathered.Totals.BatchCount);
    }

    [Fact]
    public void SinceAdoption_OnlyTheCurrentOwnersSamplesAreCandidates()
    {
        Thread dead = WriterRingTests.ExitedThread();
        WriterRing ring = Ring(dead, 1, 2, 3, 4, 5); // its first owner has exited
        Thread next = WriterRingTests.ExitedThread();
        ring.Adopt(next);
        ring.Write(0.1, 2, 0, 0, 0, 6);
        using GatheredWindow gathered = GatheredWindow.Gather(Context(4, long.MinValue, ring), sinceAdoption: true);
        Assert.Equal([[6L]], Segments(gathered));
        using GatheredWindow all = GatheredWindow.Gather(Context(4, long.MinValue, ring));
        Assert.Equal([[3L, 4, 5, 6]], Segments(all));
    }
}
