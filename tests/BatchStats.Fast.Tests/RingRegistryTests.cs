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
    private static RingRegistry NewRegistry() => new(new object(), 16, ExponentialLayout.Build(3), ReaderPools.Shared, () => long.MinValue);

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
        int exchanges = 0;
        registry.BeforeCutoffExchange = () =>
        {
            if (exchanges++ == 0)
            {
                registry.BeforeCutoffExchange = null; // the other reader's own exchange runs without the hook
                registry.RaiseCutoff(theirs);
                registry.BeforeCutoffExchange = () => exchanges++;
            }
        };
        registry.RaiseCutoff(mine);
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
        foreach (Thread t in threads)
        {
            t.Start();
        }

        foreach (Thread t in threads)
        {
            t.Join();
        }

        Assert.Equal(0, fell);
        Assert.Equal(199_999, registry.WindowCutoff);
    }
}
