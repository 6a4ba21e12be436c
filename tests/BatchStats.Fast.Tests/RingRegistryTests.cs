using System;
using System.Linq;
using System.Threading;
using BatchStats.Fast.Internal;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="RingRegistry"/>'s window cutoff driven directly: it only grows, also when two readers raise it at once
/// (the race made deterministic by a hook at the exact point between the read and the compare-exchange).
/// </summary>
public sealed class RingRegistryTests
{
    private static RingRegistry NewRegistry(int windowSize = 16) =>
        new(new object(), windowSize, ExponentialLayout.Build(3), ReaderPools.Shared, () => long.MinValue);

    /// <summary>
    /// A ring holds the window twice over, in a power of two (a reader's copy is lapped only when the writer records a
    /// whole window meanwhile). 129 and 300 are sizes where the window plus a fixed margin would round up to less.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    [InlineData(129)]
    [InlineData(300)]
    [InlineData(5000)]
    public void Current_NewRing_HoldsTheWindowTwice(int windowSize)
    {
        WriterThreads.OnFreshThread(() =>
        {
            int capacity = NewRegistry(windowSize).Current().Capacity;
            Assert.True(capacity >= 2 * windowSize, $"capacity {capacity} for a window of {windowSize}");
            Assert.True(capacity >= windowSize + 64, $"capacity {capacity} for a window of {windowSize}");
            Assert.True(System.Numerics.BitOperations.IsPow2(capacity), $"capacity {capacity} is not a power of two");
        });
    }

    /// <summary>
    /// A thread that records into more trackers than its recent-ring cache holds finds its own ring again in the
    /// registry when it comes back, rather than registering a second one.
    /// </summary>
    [Fact]
    public void Current_BackFromMoreTrackersThanTheThreadCaches_FindsItsOwnRing()
    {
        WriterThreads.OnFreshThread(() =>
        {
            RingRegistry[] registries = [.. Enumerable.Range(0, 6).Select(_ => NewRegistry())];
            WriterRing[] first = [.. registries.Select(r => r.Current())];
            for (int round = 0; round < 3; round++)
            {
                for (int i = 0; i < registries.Length; i++)
                {
                    Assert.Same(first[i], registries[i].Current());
                }
            }

            Assert.All(registries, r => Assert.Single(r.Rings));
        });
    }

    [Fact]
    public void RaiseCutoff_OneReader_KeepsTheHighest()
    {
        RingRegistry registry = NewRegistry();
        Assert.Equal(long.MinValue, registry.WindowCutoff);
        registry.RaiseCutoff(10);
        Assert.Equal(10, registry.WindowCutoff);
        registry.RaiseCutoff(5);
        Assert.Equal(10, registry.WindowCutoff);
        registry.RaiseCutoff(10);
        Assert.Equal(10, registry.WindowCutoff);
        registry.RaiseCutoff(-3);
        Assert.Equal(10, registry.WindowCutoff);
        registry.RaiseCutoff(long.MaxValue);
        Assert.Equal(long.MaxValue, registry.WindowCutoff);
    }

    /// <summary>
    /// Another reader raises the cutoff between this reader's read and its compare-exchange: the higher of the two
    /// stays, whichever reader had it, and a lost exchange retries only while this reader's cutoff is still higher.
    /// </summary>
    [Theory]
    [InlineData(10, 5)]
    [InlineData(5, 10)]
    [InlineData(7, 7)]
    [InlineData(long.MaxValue, 2)]
    public void RaiseCutoff_AnotherReaderRaisesItMidway_TheHigherStays(long mine, long theirs)
    {
        RingRegistry registry = NewRegistry();
        registry.RaiseCutoff(1);
        int exchanges = ExchangeRace.RaiseWithAnotherMidway(registry.RaiseCutoff, hook => registry.BeforeCutoffExchange = hook, mine, theirs);
        Assert.Equal(Math.Max(mine, theirs), registry.WindowCutoff);
        Assert.Equal(mine > theirs ? 2 : 1, exchanges);
    }

    /// <summary>Two readers raise the cutoff to different values from real threads: it ends at the highest either saw.</summary>
    [Fact]
    public void RaiseCutoff_TwoThreads_EndsAtTheMaximum()
    {
        RingRegistry registry = NewRegistry();
        using var start = new Barrier(2);
        int fell = 0;
        Thread[] threads = [.. new[] { 0, 1 }.Select(parity => new Thread(() =>
        {
            start.SignalAndWait();
            for (long v = parity; v < 200_000; v += 2)
            {
                registry.RaiseCutoff(v);
                if (registry.WindowCutoff < v)
                {
                    Interlocked.Increment(ref fell);
                }
            }
        }))];
        Array.ForEach(threads, t => t.Start());
        Array.ForEach(threads, t => t.Join());

        Assert.Equal(0, fell);
        Assert.Equal(199_999, registry.WindowCutoff);
    }
}
