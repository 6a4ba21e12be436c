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

/// <summary><see cref="BatchStatsJson"/>: the snapshot and the analysis as JSON (golden text, round trip, every key).</summary>
public sealed class BatchStatsJsonTests
{
    private static string Golden(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", name)).ReplaceLineEndings("\n");

    [Fact]
    public void Json_Snapshot_MatchesGoldenAndRoundTrips()
    {
        BatchStatsSnapshot s = ExportHistory.FixedHistory().GetStats();
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
    public void Snapshot_ToString_PrintsAsThePythonDict()
    {
        var s = new BatchStatsSnapshot { AvgProcessingTime = 0.0125, MaxBatchSize = 64, Throughput = 1234.5, ErrorRate = 0.1, TotalProcessed = 3_000_000_000, WindowCount = 7 };
        Assert.Equal(
            "{'avg_processing_time': 0.0125, 'median_processing_time': 0, 'p95_processing_time': 0, 'p99_processing_time': 0, " +
            "'min_processing_time': 0, 'max_processing_time': 0, 'avg_batch_size': 0, 'min_batch_size': 0, 'max_batch_size': 64, " +
            "'avg_queue_time': 0, 'avg_latency': 0, 'median_latency': 0, 'p95_latency': 0, 'p99_latency': 0, 'avg_queue_length': 0, " +
            "'max_queue_length': 0, 'throughput': 1234.5, 'peak_throughput': 0, 'error_rate': 0.1, 'total_errors': 0, " +
            "'total_processed': 3000000000, 'batch_count': 0, 'window_count': 7, 'rejected_samples': 0}",
            s.ToString());
    }

    [Fact]
    public void Json_Analysis_HasEveryKey()
    {
        using JsonDocument doc = JsonDocument.Parse(BatchStatsJson.Serialize(ExportHistory.FixedHistory().GetComprehensiveStats()));
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
}
