using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Threading;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary><see cref="BatchStatsInstruments"/>: what a MeterListener sees per collection.</summary>
public sealed class BatchStatsInstrumentsTests
{
    [Fact]
    public void Instruments_MeterListener_SeesEveryFigureFromOneSnapshotPerCollection()
    {
        var counting = new CountingStats(ExportHistory.FixedHistory());
        using var meter = new Meter("BatchStats.Fast.Tests." + Guid.NewGuid().ToString("N"));
        using BatchStatsInstruments instruments = BatchStatsInstruments.Create(counting, meter);
        var seen = new Dictionary<string, (double Value, string? Unit, string? Description)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => seen[i.Name] = (v, i.Unit, i.Description));
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => seen[i.Name] = (v, i.Unit, i.Description));
        listener.Start();
        listener.RecordObservableInstruments(); // warm-up: the first collection also JIT-compiles every callback
        Thread.Sleep(BatchStatsInstruments.SnapshotReuse * 2); // past the reuse window: the next collection takes a new snapshot
        counting.Calls = 0;
        listener.RecordObservableInstruments();

        BatchStatsSnapshot s = counting.Inner.GetStats();
        Assert.Equal(13, seen.Count);
        Assert.Equal(1, counting.Calls); // one snapshot for the whole collection
        Assert.Equal(s.P99ProcessingTime, seen["batchstats.processing_time.p99"].Value);
        Assert.Equal(s.AvgProcessingTime, seen["batchstats.processing_time.mean"].Value);
        Assert.Equal(s.P95Latency, seen["batchstats.latency.p95"].Value);
        Assert.Equal(s.Throughput, seen["batchstats.throughput"].Value);
        Assert.Equal(s.ErrorRate, seen["batchstats.error_rate"].Value);
        Assert.Equal(40, seen["batchstats.batches"].Value);
        Assert.Equal(3, seen["batchstats.errors"].Value);
        Assert.Equal(
            new Dictionary<string, string?>
            {
                ["batchstats.processing_time.mean"] = "s",
                ["batchstats.processing_time.p50"] = "s",
                ["batchstats.processing_time.p95"] = "s",
                ["batchstats.processing_time.p99"] = "s",
                ["batchstats.latency.p95"] = "s",
                ["batchstats.latency.p99"] = "s",
                ["batchstats.queue_time.mean"] = "s",
                ["batchstats.queue_length.mean"] = "{item}",
                ["batchstats.throughput"] = "{item}/s",
                ["batchstats.error_rate"] = "1",
                ["batchstats.batches"] = "{batch}",
                ["batchstats.items"] = "{item}",
                ["batchstats.errors"] = "{error}",
            },
            seen.ToDictionary(p => p.Key, p => p.Value.Unit)); // UCUM units, as OpenTelemetry's semantic conventions write them
        Assert.All(seen.Values, v => Assert.False(string.IsNullOrEmpty(v.Description)));
        Assert.All(seen.Keys, k => Assert.Matches("^[a-z_.0-9]+$", k));

        instruments.Dispose();
        seen.Clear();
        listener.RecordObservableInstruments();
        Assert.Empty(seen);
    }

    [Fact]
    public void Instruments_TrackerWithHistograms_PublishesTheAllTimeProcessingTimeSum()
    {
        LockFreeBatchStats inner = ExportHistory.FixedHistory();
        var own = new ForwardingStats(inner);
        using var meter = new Meter("BatchStats.Fast.Tests." + Guid.NewGuid().ToString("N"));
        using BatchStatsInstruments forOwn = BatchStatsInstruments.Create(own, meter);
        using BatchStatsInstruments forCore = BatchStatsInstruments.Create(inner, meter);
        var sums = new List<(BatchStatsInstruments Owner, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "batchstats.processing_time.sum" && ReferenceEquals(instrument.Meter, meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => sums.Add((forOwn.Instruments.Contains(i) ? forOwn : forCore, v)));
        listener.Start();
        listener.RecordObservableInstruments();

        double expected = inner.GetHistograms().ProcessingTime.Sum; // 40 samples of (1 + i % 8) / 256 s
        Assert.Equal(180 / 256.0, expected);
        Assert.Equal([(forOwn, expected), (forCore, expected)], sums.OrderBy(s => s.Owner == forCore));
        Assert.Equal(1, own.HistogramCalls); // the user's type is read through GetHistograms
        Assert.Equal(14, forOwn.Instruments.Count);
        Instrument sum = forCore.Instruments.Single(i => i.Name == "batchstats.processing_time.sum");
        Assert.Equal("s", sum.Unit);
        Assert.False(string.IsNullOrEmpty(sum.Description));

        forCore.Dispose();
        sums.Clear();
        listener.RecordObservableInstruments();
        Assert.Equal([(forOwn, expected)], sums); // the disposed publication's sum reports nothing
    }

    [Fact]
    public void Create_NullArgument_ThrowsNamingIt()
    {
        using var meter = new Meter("BatchStats.Fast.Tests." + Guid.NewGuid().ToString("N"));
        Assert.Equal("stats", Assert.Throws<ArgumentNullException>(() => BatchStatsInstruments.Create(null!, meter)).ParamName);
        Assert.Equal("meter", Assert.Throws<ArgumentNullException>(() => BatchStatsInstruments.Create(new LockFreeBatchStats(10, 0), null!)).ParamName);
    }

    private sealed class CountingStats(LockFreeBatchStats inner) : IBatchStats
    {
        public LockFreeBatchStats Inner { get; } = inner;

        public int Calls { get; set; }

        public void Update(double processingTime, int batchSize, double queueTime, double latency = 0, int queueLength = 0) =>
            Inner.Update(processingTime, batchSize, queueTime, latency, queueLength);

        public void Update(in BatchSample sample) => Inner.Update(sample);

        public void UpdateMany(ReadOnlySpan<BatchSample> samples) => Inner.UpdateMany(samples);

        public void RecordError(int count = 1) => Inner.RecordError(count);

        public BatchStatsSnapshot GetStats()
        {
            Calls++;
            return Inner.GetStats();
        }
    }
}
