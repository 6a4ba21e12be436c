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
            Assert.Equal(2 * 14, exported.Count(m => Tracker(m) is "otel-a" or "otel-b")); // every instrument of both, none twice (other tests' hosts publish on the same meter name)
        }
        finally
        {
            await hosted.StopAsync(CancellationToken.None);
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
