using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>The instruments as the OpenTelemetry SDK collects and exports them (in-memory exporter).</summary>
public sealed class OpenTelemetrySdkTests
{
    /// <summary>
    /// Two hosted trackers on one meter name: the SDK's first flush right after the host started holds both, told
    /// apart by the meter's <c>batchstats.tracker</c> tag (the Prometheus exporter writes it as
    /// <c>otel_scope_batchstats_tracker</c>).
    /// </summary>
    [Fact]
    public async Task HostedTrackers_FirstFlushAfterStart_HoldsEachTrackerUnderItsScopeTag()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().Build()).AddLogging()
            .AddBatchStats("otel-a", o => o.CacheValidTime = TimeSpan.Zero) // the hosted monitor reads at start: a default cache could serve its empty snapshot
            .AddBatchStats("otel-b", o => o.CacheValidTime = TimeSpan.Zero);
        using ServiceProvider sp = services.BuildServiceProvider();
        var exported = new List<Metric>();
        using MeterProvider provider = Sdk.CreateMeterProviderBuilder().AddMeter("BatchStats.Fast").AddInMemoryExporter(exported).Build();
        IHostedService hosted = Assert.Single(sp.GetServices<IHostedService>());
        await hosted.StartAsync(CancellationToken.None);
        try
        {
            var a = sp.GetRequiredKeyedService<LockFreeBatchStats>("otel-a");
            var b = sp.GetRequiredKeyedService<LockFreeBatchStats>("otel-b");
            for (int i = 0; i < 10; i++)
            {
                a.Update(0.01, 2, 0, 0.01);
            }

            b.Update(0.5, 7, 0, 0.5);
            Assert.True(provider.ForceFlush());
            Assert.Equal(10L, LongSum(exported, "batchstats.batches", "otel-a"));
            Assert.Equal(1L, LongSum(exported, "batchstats.batches", "otel-b"));
            Assert.Equal(20L, LongSum(exported, "batchstats.items", "otel-a"));
            Assert.Equal(7L, LongSum(exported, "batchstats.items", "otel-b"));
            Assert.Equal(a.GetHistograms().ProcessingTime.Sum, DoubleValue(exported, "batchstats.processing_time.sum", "otel-a"));
            Assert.Equal(0.5, DoubleValue(exported, "batchstats.processing_time.p99", "otel-b"));
            Assert.Equal(2 * 23, exported.Count(m => Tracker(m) is "otel-a" or "otel-b")); // every instrument of both, none twice (other tests' hosts publish on the same meter name)
        }
        finally
        {
            await hosted.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// Two trackers on one meter, told apart by their measurement tags: the SDK exports a point for each, with its own
    /// numbers. Untagged, the SDK exported one point with the last tracker's numbers (the other's were lost), so a
    /// second publication with the same tags on a meter is refused; disposing one frees its tags.
    /// </summary>
    [Fact]
    public void TwoTrackersOnOneMeter_TaggedApart_EachExportedWithItsOwnNumbers()
    {
        var resnet = new LockFreeBatchStats(100, 0);
        var bert = new LockFreeBatchStats(100, 0);
        for (int i = 0; i < 10; i++)
        {
            resnet.Update(0.01, 2, 0);
        }

        bert.Update(0.5, 7, 0);
        using var meter = new Meter("BatchStats.Fast.Tests.TwoTrackers");
        using BatchStatsInstruments forResnet = BatchStatsInstruments.Create(resnet, meter, [new("model", "resnet")]);
        using BatchStatsInstruments forBert = BatchStatsInstruments.Create(bert, meter, [new("model", "bert")]);
        var exported = new List<Metric>();
        using MeterProvider provider = Sdk.CreateMeterProviderBuilder().AddMeter(meter.Name).AddInMemoryExporter(exported).Build();
        Assert.True(provider.ForceFlush());

        Dictionary<string, long> batches = Points(Assert.Single(exported, m => m.Name == "batchstats.batches"), p => p.GetSumLong());
        Assert.Equal(new Dictionary<string, long> { ["resnet"] = 10, ["bert"] = 1 }, batches);
        Dictionary<string, double> p99 = Points(Assert.Single(exported, m => m.Name == "batchstats.processing_time.p99"), p => p.GetGaugeLastValueDouble());
        Assert.Equal(new Dictionary<string, double> { ["resnet"] = 0.01, ["bert"] = 0.5 }, p99);

        ArgumentException twice = Assert.Throws<ArgumentException>(() => BatchStatsInstruments.Create(bert, meter, [new("model", "bert")]));
        Assert.Equal("tags", twice.ParamName);
        Assert.StartsWith("The meter 'BatchStats.Fast.Tests.TwoTrackers' already publishes a tracker with the tags model=bert:", twice.Message, StringComparison.Ordinal);
        using (BatchStatsInstruments.Create(resnet, meter))
        {
            Assert.StartsWith("The meter 'BatchStats.Fast.Tests.TwoTrackers' already publishes a tracker with no tags:", Assert.Throws<ArgumentException>(() => BatchStatsInstruments.Create(bert, meter)).Message, StringComparison.Ordinal);
        }

        BatchStatsInstruments.Create(bert, meter).Dispose(); // the untagged publication above was disposed: its tags are free
        forBert.Dispose();
        BatchStatsInstruments.Create(bert, meter, [new("model", "bert")]).Dispose();
        BatchStatsInstruments.Create(bert, new Meter(meter.Name), [new("model", "resnet")]).Dispose(); // another meter object: its own tag sets

        static Dictionary<string, T> Points<T>(Metric metric, Func<MetricPoint, T> value)
        {
            var byModel = new Dictionary<string, T>();
            foreach (ref readonly MetricPoint point in metric.GetMetricPoints())
            {
                string? model = null;
                foreach (KeyValuePair<string, object?> tag in point.Tags)
                {
                    model = tag.Key == "model" ? (string?)tag.Value : model;
                }

                byModel.Add(model!, value(point));
            }

            return byModel;
        }
    }

    /// <summary>
    /// With delta temporality the SDK exports each counter's change since the last collection: it equals what was
    /// recorded in between, never negative, while the window rolls from all-small to all-large values and back (a
    /// windowed count or sum would fall here and export a negative delta).
    /// </summary>
    [Fact]
    public void Counters_DeltaTemporality_ExportWhatWasRecordedInBetween_WhileTheWindowRolls()
    {
        var stats = new LockFreeBatchStats(windowSize: 8, cacheValidTime: 0);
        using var meter = new Meter("BatchStats.Fast.Tests.Delta");
        using BatchStatsInstruments instruments = BatchStatsInstruments.Create(stats, meter);
        var exported = new List<Metric>();
        using MeterProvider provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(meter.Name)
            .AddInMemoryExporter(exported, reader => reader.TemporalityPreference = MetricReaderTemporalityPreference.Delta)
            .Build();
        double[] values = [0.001, 0.5, 0.002, 2.0];
        int[] counts = [8, 3, 8, 5];
        long lastFlush = Stopwatch.GetTimestamp();
        for (int round = 0; round < values.Length; round++)
        {
            double recorded = 0;
            for (int i = 0; i < counts[round]; i++)
            {
                stats.Update(values[round], 3, 0, values[round]);
                recorded += values[round];
            }

            WaitPast(lastFlush, BatchStatsInstruments.SnapshotReuse); // a collection within it reuses the last one's snapshot, by design
            exported.Clear();
            Assert.True(provider.ForceFlush());
            lastFlush = Stopwatch.GetTimestamp();
            Assert.Equal(counts[round], LongSum(exported, "batchstats.batches", tracker: null));
            Assert.Equal(3L * counts[round], LongSum(exported, "batchstats.items", tracker: null));
            Assert.Equal(recorded, DoubleValue(exported, "batchstats.processing_time.sum", tracker: null), 1e-12);
        }
    }

    /// <summary>
    /// A distribution the OpenTelemetry SDK aggregated as a base-2 exponential histogram (its scale starts at 20 and
    /// drops only as far as its 160 buckets need, so a narrow one stays finer than Prometheus's schema 8) goes into
    /// <see cref="ExponentialHistogram.Create"/> as the SDK exports it, merges with a tracker's, and the merge's
    /// quantiles keep the documented bound against numpy's exact quantiles of both sets of values together.
    /// </summary>
    [Theory]
    [InlineData(0.0002, 18)] // ±0.01 %, a steady service's latency: scale 19 here
    [InlineData(0.05, 9)] // ±2.5 %: scale 11
    [InlineData(6.0, 0)] // a factor of 400 from end to end: scale 4
    public void OpenTelemetrySdkExponentialHistogram_CreatesAndMergesWithATracker(double spread, int finerThan)
    {
        using var meter = new Meter("BatchStats.Fast.Tests.OtelExponential");
        Histogram<double> latency = meter.CreateHistogram<double>("latency", "s");
        var exported = new List<Metric>();
        using MeterProvider provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(meter.Name)
            .AddView(latency.Name, new Base2ExponentialBucketHistogramConfiguration())
            .AddInMemoryExporter(exported)
            .Build();
        var random = new Random(11);
        var values = new List<double> { 0, 0 }; // exact zeros: the SDK's zero bucket
        for (int i = 0; i < 3000; i++)
        {
            values.Add(0.01 * Math.Exp(spread * (random.NextDouble() - 0.5)));
        }

        values.ForEach(latency.Record);
        int sdkValues = values.Count;
        var stats = new LockFreeBatchStats(windowSize: 100, cacheValidTime: 0);
        for (int i = 0; i < 1000; i++)
        {
            double v = 0.012 * Math.Exp(spread * (random.NextDouble() - 0.5));
            stats.Update(v / 2, 1, v / 2, v);
            values.Add(v);
        }

        Assert.True(provider.ForceFlush());
        MetricPoint point = Point(Assert.Single(exported, m => m.Name == latency.Name));
        ExponentialHistogramData data = point.GetExponentialHistogramData();
        var counts = new List<long>();
        foreach (long count in data.PositiveBuckets)
        {
            counts.Add(count);
        }

        Assert.True(point.TryGetHistogramMinMaxValues(out double min, out double max));
        ExponentialHistogram sdk = ExponentialHistogram.Create(data.Scale, data.ZeroCount, data.PositiveBuckets.Offset, counts.ToArray(), point.GetHistogramSum(), min, max);
        Assert.True(sdk.Scale > finerThan, $"the SDK's scale {sdk.Scale}");
        Assert.Equal((3002L, 2L), (sdk.Count, sdk.ZeroCount));

        ExponentialHistogram merged = ExponentialHistogram.Merge(sdk, stats.GetHistograms().Latency);
        Assert.Equal(Math.Min(sdk.Scale, 3), merged.Scale);

        // The SDK's own histogram at its fine scale, and the merge at the tracker's: each within its scale's bound.
        AssertQuantilesWithinTheBound(sdk, values.Take(sdkValues));
        AssertQuantilesWithinTheBound(merged, values);
    }

    /// <summary>numpy's exact quantiles of <paramref name="values"/> against <paramref name="h"/>'s estimates.</summary>
    private static void AssertQuantilesWithinTheBound(ExponentialHistogram h, IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        double bound = Math.Pow(2, Math.Pow(2, -(h.Scale + 1))) - 1;
        foreach (double q in new[] { 0, 0.01, 0.25, 0.5, 0.9, 0.99, 1 })
        {
            double exact = ReferenceStats.NumpyPercentile(sorted, q * 100);
            Assert.InRange(h.ValueAtQuantile(q), exact * (1 - bound), exact * (1 + bound));
        }
    }

    private static void WaitPast(long start, TimeSpan wait)
    {
        while (Stopwatch.GetElapsedTime(start) <= wait)
        {
            Thread.Sleep(10);
        }
    }

    private static long LongSum(List<Metric> exported, string name, string? tracker) =>
        Point(Find(exported, name, tracker)).GetSumLong();

    private static double DoubleValue(List<Metric> exported, string name, string? tracker)
    {
        Metric metric = Find(exported, name, tracker);
        return metric.MetricType == MetricType.DoubleGauge ? Point(metric).GetGaugeLastValueDouble() : Point(metric).GetSumDouble();
    }

    private static MetricPoint Point(Metric metric)
    {
        var points = new List<MetricPoint>();
        foreach (ref readonly MetricPoint point in metric.GetMetricPoints())
        {
            points.Add(point);
        }

        return Assert.Single(points);
    }

    private static Metric Find(List<Metric> exported, string name, string? tracker) =>
        Assert.Single(exported, m => m.Name == name && (tracker is null || Tracker(m) == tracker));

    private static string? Tracker(Metric metric) =>
        (metric.MeterTags ?? []).FirstOrDefault(t => t.Key == "batchstats.tracker").Value as string;
}
