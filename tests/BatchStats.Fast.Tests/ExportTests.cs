using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BatchStats.Fast.Tests;

public sealed class ExportTests
{
    /// <summary>A fixed history: 40 caller-stamped samples, 3 errors; exact binary fractions keep the text stable.</summary>
    internal static LockFreeBatchStats FixedHistory()
    {
        var stats = new LockFreeBatchStats(32, 0);
        for (int i = 0; i < 40; i++)
        {
            double pt = (1 + (i % 8)) / 256.0; // 3.9 ms .. 31.25 ms
            stats.Update(new BatchSample(pt, 4 + (i % 4), pt / 4, pt * 2, i % 5, Timestamp: 1000 + i));
        }

        stats.RecordError(3, 1020);
        return stats;
    }

    private static string Golden(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", name)).ReplaceLineEndings("\n");

    [Fact]
    public void Json_Snapshot_MatchesGoldenAndRoundTrips()
    {
        BatchStatsSnapshot s = FixedHistory().GetStats();
        string json = BatchStatsJson.Serialize(s);
        if (Environment.GetEnvironmentVariable("BATCHSTATS_UPDATE_GOLDEN") is { Length: > 0 } dir)
        {
            File.WriteAllText(Path.Combine(dir, "snapshot_golden.json"), json);
        }

        Assert.Equal(Golden("snapshot_golden.json"), json);
        IReadOnlyDictionary<string, double> back = BatchStatsJson.DeserializeSnapshot(json);
        Assert.Equal(s.ToDictionary().OrderBy(k => k.Key), back.OrderBy(k => k.Key));
    }

    [Fact]
    public void Json_Analysis_HasEveryKey()
    {
        using JsonDocument doc = JsonDocument.Parse(BatchStatsJson.Serialize(FixedHistory().GetComprehensiveStats()));
        JsonElement root = doc.RootElement;
        foreach (string key in new[] { "total_batches", "total_processed", "avg_throughput", "p95_processing_time", "error_rate", "efficiency_score", "stability_index", "load_distribution", "performance_trend", "throughput_trend", "error_trend", "utilization", "recommended_capacity", "bottlenecks", "stats" })
        {
            Assert.True(root.TryGetProperty(key, out _), key);
        }

        Assert.Equal(40, root.GetProperty("total_batches").GetInt64());
        Assert.Equal("improving", root.GetProperty("error_trend").GetString()); // the 3 errors (stamp 1020) fall in the older half
        Assert.Equal(32, root.GetProperty("stats").GetProperty("window_count").GetDouble());
        Assert.True(root.GetProperty("load_distribution").GetProperty("q3").GetDouble() >= root.GetProperty("load_distribution").GetProperty("q1").GetDouble());
    }

    [Fact]
    public void Dashboard_Defaults_AsThePythonModule_HealthyOnlyBelowOnePercentAndQueueLength()
    {
        LockFreeBatchStats stats = FixedHistory(); // 3 errors / 220 items = 0.0136
        BatchStatsDashboardData data = new BatchStatsDashboard(stats).GetDashboardData();
        Assert.Equal("warning", data.Status);
        Assert.Equal(stats.GetStats().AvgQueueLength, data.Metrics["queue_length"]);
        var clean = new LockFreeBatchStats(8, 0);
        clean.Update(new BatchSample(0.01, 100, 0, 0.01, 0, 1));
        clean.RecordError(1); // exactly 0.01: no longer healthy
        Assert.Equal("warning", new BatchStatsDashboard(clean).GetDashboardData().Status);
        clean.Update(new BatchSample(0.01, 1, 0, 0.01, 0, 2)); // 1 / 101 < 0.01
        Assert.Equal("healthy", new BatchStatsDashboard(clean).GetDashboardData().Status);
    }

    [Fact]
    public void Dashboard_StatusAndExports()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
        LockFreeBatchStats stats = FixedHistory(); // 3 errors / 220 items = 0.0136
        var dashboard = new BatchStatsDashboard(stats, warningErrorRate: 0.05, timeProvider: time);
        BatchStatsDashboardData data = dashboard.GetDashboardData();
        Assert.Equal("healthy", data.Status);
        Assert.Equal(time.GetUtcNow(), data.Timestamp);
        Assert.Equal(40, data.Metrics["batch_count"]);
        Assert.Equal("warning", new BatchStatsDashboard(stats, warningErrorRate: 0.01).GetDashboardData().Status);

        using JsonDocument doc = JsonDocument.Parse(dashboard.ExportMetrics("json"));
        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds(), doc.RootElement.GetProperty("timestamp").GetDouble());
        Assert.Equal("healthy", doc.RootElement.GetProperty("status").GetString());
        Assert.Equal(40, doc.RootElement.GetProperty("metrics").GetProperty("batch_count").GetDouble());
        Assert.StartsWith("# HELP batch_batches_total", dashboard.ExportMetrics("PROMETHEUS"), StringComparison.Ordinal);
        Assert.Equal("format", Assert.Throws<ArgumentException>(() => dashboard.ExportMetrics("xml")).ParamName);
    }

    [Fact]
    public void Instruments_MeterListener_SeesEveryFigureFromOneSnapshotPerCollection()
    {
        var counting = new CountingStats(FixedHistory());
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
        Assert.Equal("s", seen["batchstats.processing_time.p95"].Unit);
        Assert.All(seen.Values, v => Assert.False(string.IsNullOrEmpty(v.Description)));
        Assert.All(seen.Keys, k => Assert.Matches("^[a-z_.0-9]+$", k));

        instruments.Dispose();
        seen.Clear();
        listener.RecordObservableInstruments();
        Assert.Empty(seen);
    }

    private sealed class CountingStats(LockFreeBatchStats inner) : IBatchStats
    {
        public LockFreeBatchStats Inner { get; } = inner;

        public int Calls { get; private set; }

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
