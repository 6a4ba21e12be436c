using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
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
        var s = new BatchStatsSnapshot { AvgProcessingTime = 0.0125, MaxBatchSize = 64, Throughput = 1234.5, ErrorRate = 0.1, TotalProcessed = 3_000_000_000, WindowCount = 7, AvgLatency = 5e-05, PeakThroughput = 1e16 };

        // Python's own repr of the dict, with the counts and sizes as ints and every other figure as a float.
        Assert.Equal(
            "{'avg_processing_time': 0.0125, 'median_processing_time': 0.0, 'p95_processing_time': 0.0, 'p99_processing_time': 0.0, " +
            "'min_processing_time': 0.0, 'max_processing_time': 0.0, 'avg_batch_size': 0.0, 'min_batch_size': 0, 'max_batch_size': 64, " +
            "'avg_queue_time': 0.0, 'avg_latency': 5e-05, 'median_latency': 0.0, 'p95_latency': 0.0, 'p99_latency': 0.0, 'avg_queue_length': 0.0, " +
            "'max_queue_length': 0, 'throughput': 1234.5, 'peak_throughput': 1e+16, 'error_rate': 0.1, 'total_errors': 0, " +
            "'total_processed': 3000000000, 'batch_count': 0, 'window_count': 7, 'rejected_samples': 0}",
            s.ToString());
    }

    [Fact]
    public void Snapshot_ToString_WritesEveryFloatAsPythonsRepr()
    {
        // TestData/generate_python_repr.py: edge values (0, -0, powers of ten at both notation switches, subnormals, ±inf, nan,
        // the largest double) and 600 random ones (log-uniform from 1e-12 to 1e20, lognormal times, whole numbers, short
        // decimals), each as its IEEE bits and Python's repr().
        string[] lines = Golden("python_repr_golden.txt").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 600);
        foreach (string line in lines)
        {
            string[] parts = line.Split(' ');
            double value = BitConverter.Int64BitsToDouble(Convert.ToInt64(parts[0], 16));
            string printed = new BatchStatsSnapshot { AvgLatency = value }.ToString();
            Assert.Contains($"'avg_latency': {parts[1]}, ", printed, StringComparison.Ordinal);
        }
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

        LoadDistribution q = new LoadDistribution(4, 4.75, 5.5, 6.25, 7);
        using JsonDocument quartiles = JsonDocument.Parse(BatchStatsJson.Serialize(new BatchStatsAnalysis { LoadDistribution = q }));
        JsonElement load = quartiles.RootElement.GetProperty("load_distribution");
        Assert.Equal(
            [("min", 4.0), ("q1", 4.75), ("median", 5.5), ("q3", 6.25), ("max", 7.0)],
            load.EnumerateObject().Select(p => (p.Name, p.Value.GetDouble())));
    }

    [Fact]
    public void Json_NullArgumentsAndDocuments_Refused()
    {
        Assert.Equal("snapshot", Assert.Throws<ArgumentNullException>(() => BatchStatsJson.Serialize((BatchStatsSnapshot)null!)).ParamName);
        Assert.Equal("analysis", Assert.Throws<ArgumentNullException>(() => BatchStatsJson.Serialize((BatchStatsAnalysis)null!)).ParamName);
        Assert.Equal("data", Assert.Throws<ArgumentNullException>(() => BatchStatsJson.Serialize((BatchStatsDashboardData)null!)).ParamName);
        Assert.Equal("histograms", Assert.Throws<ArgumentNullException>(() => BatchStatsJson.Serialize((BatchStatsHistograms)null!)).ParamName);
        Assert.Equal("json", Assert.Throws<ArgumentNullException>(() => BatchStatsJson.DeserializeHistograms(null!)).ParamName);
        Assert.Equal("null document", Assert.Throws<JsonException>(() => BatchStatsJson.DeserializeSnapshot("null")).Message);
        Assert.Equal("null document", Assert.Throws<JsonException>(() => BatchStatsJson.DeserializeHistograms("null")).Message);
    }

    [Fact]
    public void Json_Histograms_PinnedText()
    {
        ExponentialHistogram p = ExponentialHistogram.Create(3, 2, -80, [4, 0, 1], 0.75, 0.001, 0.125, 0.5);
        ExponentialHistogram empty = ExponentialHistogram.Create(0, 0, 0, [], 0, 0, 0);
        Assert.Equal(
            "{\"processing_time\":{\"scale\":3,\"zero_count\":2,\"zero_threshold\":0.5,\"offset\":-80,\"counts\":[4,0,1],\"count\":7,\"sum\":0.75,\"min\":0.001,\"max\":0.125}," +
            "\"queue_time\":{\"scale\":0,\"zero_count\":0,\"zero_threshold\":0,\"offset\":0,\"counts\":[],\"count\":0,\"sum\":0,\"min\":0,\"max\":0}," +
            "\"latency\":{\"scale\":3,\"zero_count\":2,\"zero_threshold\":0.5,\"offset\":-80,\"counts\":[4,0,1],\"count\":7,\"sum\":0.75,\"min\":0.001,\"max\":0.125}}",
            BatchStatsJson.Serialize(new BatchStatsHistograms(p, empty, p)));
    }

    /// <summary>A fleet merged from JSON equals the same fleet merged in one process: every part, the sums bit for bit.</summary>
    [Fact]
    public void Json_Histograms_RoundTripAndMergeAsTheOriginals()
    {
        var random = new Random(11);
        var trackers = new[] { 3, 2, 5 }.Select(scale => new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 100, HistogramScale = scale })).ToArray();
        foreach (LockFreeBatchStats t in trackers)
        {
            for (int i = 0; i < 500; i++)
            {
                double v = i % 50 == 0 ? 0 : Math.Exp((random.NextDouble() * 12) - 9);
                t.Update(new BatchSample(v, 1, v / 3, v * 1.5, 0, i + 1));
            }
        }

        BatchStatsHistograms[] local = [.. trackers.Select(t => t.GetHistograms())];
        BatchStatsHistograms[] received = [.. local.Select(h => BatchStatsJson.DeserializeHistograms(BatchStatsJson.Serialize(h)))];
        for (int i = 0; i < local.Length; i++)
        {
            AssertSame(local[i].ProcessingTime, received[i].ProcessingTime);
            AssertSame(local[i].QueueTime, received[i].QueueTime);
            AssertSame(local[i].Latency, received[i].Latency);
        }

        BatchStatsHistograms fleet = received.Aggregate(BatchStatsHistograms.Merge);
        BatchStatsHistograms expected = local.Aggregate(BatchStatsHistograms.Merge);
        AssertSame(expected.Latency, fleet.Latency);
        Assert.Equal(1500, fleet.Latency.Count);
        Assert.Equal(2, fleet.Latency.Scale); // the coarsest tracker's

        static void AssertSame(ExponentialHistogram a, ExponentialHistogram b)
        {
            Assert.Equal((a.Scale, a.ZeroCount, a.ZeroThreshold, a.Offset, a.Count), (b.Scale, b.ZeroCount, b.ZeroThreshold, b.Offset, b.Count));
            Assert.Equal(a.Counts.ToArray(), b.Counts.ToArray());
            Assert.Equal(BitConverter.DoubleToInt64Bits(a.Sum), BitConverter.DoubleToInt64Bits(b.Sum));
            Assert.Equal((a.Min, a.Max), (b.Min, b.Max));
        }
    }

    [Fact]
    public void Json_Histograms_BadDocumentsAreRefused()
    {
        const string Good = "{\"scale\":3,\"zero_count\":0,\"zero_threshold\":0,\"offset\":-80,\"counts\":[1,2],\"count\":3,\"sum\":0.01,\"min\":0.001,\"max\":0.005}";
        static string Doc(string latency) => $"{{\"processing_time\":{Good},\"queue_time\":{Good},\"latency\":{latency}}}";

        Assert.Equal(3, BatchStatsJson.DeserializeHistograms(Doc(Good)).Latency.Count);
        Assert.Equal(3, BatchStatsJson.DeserializeHistograms(Doc(Good.Replace(",\"count\":3", "", StringComparison.Ordinal))).Latency.Count); // count is optional
        Assert.Throws<JsonException>(() => BatchStatsJson.DeserializeHistograms($"{{\"processing_time\":{Good},\"queue_time\":{Good}}}")); // a series missing
        Assert.Throws<JsonException>(() => BatchStatsJson.DeserializeHistograms(Doc(Good.Replace(",\"sum\":0.01", "", StringComparison.Ordinal)))); // a part missing

        JsonException count = Assert.Throws<JsonException>(() => BatchStatsJson.DeserializeHistograms(Doc(Good.Replace("\"count\":3", "\"count\":4", StringComparison.Ordinal))));
        Assert.Equal("latency: count is 4, but zero_count and the bucket counts add up to 3", count.Message);

        JsonException negative = Assert.Throws<JsonException>(() => BatchStatsJson.DeserializeHistograms(Doc(Good.Replace("[1,2]", "[1,-2]", StringComparison.Ordinal))));
        Assert.StartsWith("latency: ", negative.Message, StringComparison.Ordinal);
        Assert.Equal("counts", Assert.IsType<ArgumentOutOfRangeException>(negative.InnerException).ParamName);

        Assert.Equal("latency is null", Assert.Throws<JsonException>(() => BatchStatsJson.DeserializeHistograms(Doc("null"))).Message);
        string nullCounts = Good.Replace("[1,2]", "null", StringComparison.Ordinal);
        Assert.Equal("latency: counts is null", Assert.Throws<JsonException>(() => BatchStatsJson.DeserializeHistograms(Doc(nullCounts))).Message);
        string badCount = Good.Replace("\"count\":3", "\"count\":5", StringComparison.Ordinal);
        Assert.StartsWith("processing_time: count is 5", Assert.Throws<JsonException>(() => BatchStatsJson.DeserializeHistograms($"{{\"processing_time\":{badCount},\"queue_time\":{Good},\"latency\":{Good}}}")).Message, StringComparison.Ordinal);
        Assert.StartsWith("queue_time: count is 5", Assert.Throws<JsonException>(() => BatchStatsJson.DeserializeHistograms($"{{\"processing_time\":{Good},\"queue_time\":{badCount},\"latency\":{Good}}}")).Message, StringComparison.Ordinal);

        JsonException minAboveMax = Assert.Throws<JsonException>(() => BatchStatsJson.DeserializeHistograms(Doc(Good.Replace("\"min\":0.001", "\"min\":0.5", StringComparison.Ordinal))));
        Assert.Equal("max", Assert.IsType<ArgumentOutOfRangeException>(minAboveMax.InnerException).ParamName); // Create names the maximum below the minimum

        JsonException minAboveItsBucket = Assert.Throws<JsonException>(() => BatchStatsJson.DeserializeHistograms(Doc(Good.Replace("\"min\":0.001", "\"min\":0.002", StringComparison.Ordinal))));
        Assert.Equal("min", Assert.IsType<ArgumentOutOfRangeException>(minAboveItsBucket.InnerException).ParamName); // bucket -80 at scale 3 ends at 2^(-79/8) ≈ 0.00106
        JsonException overflow = Assert.Throws<JsonException>(() => BatchStatsJson.DeserializeHistograms(Doc(Good.Replace("[1,2]", "[1,9223372036854775807]", StringComparison.Ordinal).Replace(",\"count\":3", "", StringComparison.Ordinal))));
        Assert.Equal("counts", Assert.IsType<ArgumentOutOfRangeException>(overflow.InnerException).ParamName); // a total beyond long.MaxValue, never a negative count
    }
}
