using System;
using System.Globalization;
using System.Linq;
using System.Reflection;
using BatchStats.Fast.Internal;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary><see cref="SnapshotCache"/> driven directly: the race between two readers' publications, made deterministic.</summary>
public sealed class SnapshotCacheTests
{
    /// <summary>
    /// Reader A read ring 1 late and ring 2 early, reader B the other way round; B publishes first. A must not return
    /// (or leave published) counters below B's: it returns a copy with each counter raised.
    /// </summary>
    [Fact]
    public void Publish_OlderCountersAfterNewer_ReturnsAndPublishesTheMaxima()
    {
        var cache = new SnapshotCache();
        var b = new BatchStatsSnapshot { BatchCount = 10, TotalProcessed = 40, TotalErrors = 1, RejectedSamples = 2, PeakThroughput = 5, WindowCount = 10 };
        var a = new BatchStatsSnapshot { BatchCount = 12, TotalProcessed = 30, TotalErrors = 3, RejectedSamples = 0, PeakThroughput = 4, WindowCount = 7, MedianLatency = 0.25 };
        Assert.Same(b, cache.Publish(b));
        BatchStatsSnapshot returned = cache.Publish(a);
        Assert.NotSame(a, returned);
        Assert.Same(returned, cache.Current);
        Assert.Equal(12, returned.BatchCount);
        Assert.Equal(40, returned.TotalProcessed);
        Assert.Equal(3, returned.TotalErrors);
        Assert.Equal(2, returned.RejectedSamples);
        Assert.Equal(5, returned.PeakThroughput);
        Assert.Equal(3.0 / 40, returned.ErrorRate);
        Assert.Equal(7, returned.WindowCount); // the window figures are A's own
        Assert.Equal(0.25, returned.MedianLatency);
    }

    /// <summary>
    /// The raised copy is built field by field, so a property added to <see cref="BatchStatsSnapshot"/> later and not
    /// copied there would come back as 0. Every settable property, the internal cache bookkeeping included, is set to
    /// a distinct value by reflection: the copy must carry each one, except the counters it raises, the error rate it
    /// recomputes from them, and the generation that <see cref="SnapshotCache.Publish"/> sets.
    /// </summary>
    [Fact]
    public void Publish_RaisedCopy_CarriesEveryOtherProperty()
    {
        const BindingFlags Instance = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
        PropertyInfo[] properties = [.. typeof(BatchStatsSnapshot).GetProperties(Instance).Where(p => p.CanWrite)];
        var raised = new[] { "BatchCount", "TotalProcessed", "TotalErrors", "RejectedSamples", "PeakThroughput", "ErrorRate", "Epoch" };
        Assert.Subset(properties.Select(p => p.Name).ToHashSet(), raised.ToHashSet()); // the list above names real properties
        var a = new BatchStatsSnapshot();
        int next = 1;
        foreach (PropertyInfo p in properties)
        {
            p.SetValue(a, Convert.ChangeType(next++, p.PropertyType, CultureInfo.InvariantCulture));
        }

        var cache = new SnapshotCache();
        var floor = new BatchStatsSnapshot { BatchCount = 1000, TotalProcessed = 1000, TotalErrors = 1000, RejectedSamples = 1000, PeakThroughput = 1000 };
        cache.Publish(floor);
        BatchStatsSnapshot returned = cache.Publish(a);
        Assert.NotSame(a, returned);
        foreach (PropertyInfo p in properties.Where(p => !raised.Contains(p.Name)))
        {
            Assert.True(Equals(p.GetValue(a), p.GetValue(returned)), $"{p.Name}: {p.GetValue(returned)} in the raised copy, {p.GetValue(a)} computed");
        }

        Assert.Equal(1000, returned.BatchCount);
        Assert.Equal(1.0, returned.ErrorRate);
    }

    [Fact]
    public void Publish_DominatingSnapshot_IsPublishedAsIs()
    {
        var cache = new SnapshotCache();
        var first = new BatchStatsSnapshot { BatchCount = 1, TotalProcessed = 1 };
        var second = new BatchStatsSnapshot { BatchCount = 2, TotalProcessed = 2 };
        cache.Publish(first);
        Assert.Same(second, cache.Publish(second));
        Assert.Same(second, cache.Current);
        var same = new BatchStatsSnapshot { BatchCount = 2, TotalProcessed = 2 }; // equal counters dominate too: no copy
        Assert.Same(same, cache.Publish(same));
    }

    [Fact]
    public void Invalidate_StopsServing_ButStillBoundsTheNextCounters()
    {
        var cache = new SnapshotCache();
        cache.Publish(new BatchStatsSnapshot { BatchCount = 9 });
        cache.Invalidate();
        Assert.Null(cache.Current);
        BatchStatsSnapshot next = cache.Publish(new BatchStatsSnapshot { BatchCount = 5 });
        Assert.Equal(9, next.BatchCount);
        Assert.Same(next, cache.Current);
    }

    [Fact]
    public void RaisePeak_OnlyGrows()
    {
        var cache = new SnapshotCache();
        cache.RaisePeak(3);
        cache.RaisePeak(2);
        Assert.Equal(3, cache.Peak);
        cache.RaisePeak(double.NaN);
        Assert.Equal(3, cache.Peak);
    }

    /// <summary>
    /// Another reader raises the peak between this reader's read and its compare-exchange (the hook runs it at that
    /// exact point): the higher of the two stays, whichever reader had it.
    /// </summary>
    [Theory]
    [InlineData(10, 5)]
    [InlineData(5, 10)]
    [InlineData(7, 7)]
    public void RaisePeak_AnotherReaderRaisesItMidway_TheHigherStays(double mine, double theirs)
    {
        var cache = new SnapshotCache();
        cache.RaisePeak(1);
        int exchanges = ExchangeRace.RaiseWithAnotherMidway(cache.RaisePeak, hook => cache.BeforePeakExchange = hook, mine, theirs);
        Assert.Equal(Math.Max(mine, theirs), cache.Peak);
        Assert.Equal(mine > theirs ? 2 : 1, exchanges); // a lost exchange retries only while this reader's value is higher
    }
}
