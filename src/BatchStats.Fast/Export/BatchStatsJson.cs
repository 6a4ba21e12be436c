using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BatchStats.Fast;

/// <summary>
/// JSON for snapshots, analyses, dashboard data and all-time distributions, with System.Text.Json source generation
/// (trim- and AOT-safe).
/// Keys are the snake_case keys of <see cref="BatchStatsSnapshot.ToDictionary"/>; times in seconds.
/// </summary>
public static class BatchStatsJson
{
    /// <summary>The snapshot as a JSON object with the snake_case keys.</summary>
    /// <param name="snapshot">The figures.</param>
    /// <returns>Compact JSON.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="snapshot"/> is null.</exception>
    public static string Serialize(BatchStatsSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        return JsonSerializer.Serialize(ToPlain(snapshot), BatchStatsJsonContext.Default.DictionaryStringDouble);
    }

    /// <summary>
    /// The analysis as JSON: the figures of <see cref="BatchStatsAnalysis.ToDictionary"/> (trends as words,
    /// <c>load_distribution</c> as an object, <c>bottlenecks</c> as objects with name, value, threshold and message)
    /// plus the snapshot under <c>stats</c>.
    /// </summary>
    /// <param name="analysis">The analysis.</param>
    /// <returns>Compact JSON.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="analysis"/> is null.</exception>
    public static string Serialize(BatchStatsAnalysis analysis)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        return JsonSerializer.Serialize(AnalysisDocument.From(analysis), BatchStatsJsonContext.Default.AnalysisDocument);
    }

    /// <summary>The dashboard data as JSON: <c>timestamp</c> (Unix seconds), <c>metrics</c>, <c>status</c>.</summary>
    /// <param name="data">The dashboard data.</param>
    /// <returns>Compact JSON.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="data"/> is null.</exception>
    public static string Serialize(BatchStatsDashboardData data)
    {
        ArgumentNullException.ThrowIfNull(data);
        var document = new DashboardDocument(data.Timestamp.ToUnixTimeMilliseconds() / 1000.0, ToPlain(data.Metrics), data.Status);
        return JsonSerializer.Serialize(document, BatchStatsJsonContext.Default.DashboardDocument);
    }

    /// <summary>Reads a snapshot's JSON back into its snake_case figures.</summary>
    /// <param name="json">JSON written by <see cref="Serialize(BatchStatsSnapshot)"/>.</param>
    /// <returns>The figures.</returns>
    /// <exception cref="JsonException">The text is not such a JSON object.</exception>
    public static IReadOnlyDictionary<string, double> DeserializeSnapshot(string json) =>
        JsonSerializer.Deserialize(json, BatchStatsJsonContext.Default.DictionaryStringDouble) ?? throw new JsonException("null document");

    /// <summary>
    /// The all-time distributions as JSON, for another process to merge (<see cref="DeserializeHistograms"/>, then
    /// <see cref="BatchStatsHistograms.Merge"/>): <c>processing_time</c>, <c>queue_time</c> and <c>latency</c>, each
    /// <c>{"scale", "zero_count", "zero_threshold", "offset", "counts": [...], "count", "sum", "min", "max"}</c>, the parts
    /// of <see cref="ExponentialHistogram"/> (doubles at round-trip precision, so nothing is lost on the way).
    /// </summary>
    /// <param name="histograms">The distributions.</param>
    /// <returns>Compact JSON.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="histograms"/> is null.</exception>
    public static string Serialize(BatchStatsHistograms histograms)
    {
        ArgumentNullException.ThrowIfNull(histograms);
        var document = new HistogramsDocument(
            HistogramDocument.From(histograms.ProcessingTime),
            HistogramDocument.From(histograms.QueueTime),
            HistogramDocument.From(histograms.Latency));
        return JsonSerializer.Serialize(document, BatchStatsJsonContext.Default.HistogramsDocument);
    }

    /// <summary>Reads distributions written by <see cref="Serialize(BatchStatsHistograms)"/> (in this process or another).</summary>
    /// <param name="json">The JSON.</param>
    /// <returns>The distributions, exactly as they were written.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="json"/> is null.</exception>
    /// <exception cref="JsonException">
    /// The text is not such a document: a series or a part other than <c>count</c> is missing, <c>count</c> is not
    /// <c>zero_count</c> plus the bucket counts, or the parts are ones no recorded data could have (the inner
    /// <see cref="ArgumentOutOfRangeException"/> of <see cref="ExponentialHistogram.Create"/> names the part).
    /// </exception>
    public static BatchStatsHistograms DeserializeHistograms(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        HistogramsDocument document = JsonSerializer.Deserialize(json, BatchStatsJsonContext.Default.HistogramsDocument) ?? throw new JsonException("null document");
        return new(Read(document.ProcessingTime, "processing_time"), Read(document.QueueTime, "queue_time"), Read(document.Latency, "latency"));

        static ExponentialHistogram Read(HistogramDocument? series, string name) =>
            (series ?? throw new JsonException($"{name} is null")).ToHistogram(name); // JsonRequired lets an explicit null through
    }

    private static Dictionary<string, double> ToPlain(BatchStatsSnapshot snapshot) => ToPlain(snapshot.ToDictionary());

    private static Dictionary<string, double> ToPlain(IReadOnlyDictionary<string, double> figures) => new(figures);

    internal sealed record HistogramsDocument(
        [property: JsonPropertyName("processing_time"), JsonRequired] HistogramDocument ProcessingTime,
        [property: JsonPropertyName("queue_time"), JsonRequired] HistogramDocument QueueTime,
        [property: JsonPropertyName("latency"), JsonRequired] HistogramDocument Latency);

    internal sealed record HistogramDocument(
        [property: JsonPropertyName("scale"), JsonRequired] int Scale,
        [property: JsonPropertyName("zero_count"), JsonRequired] long ZeroCount,
        [property: JsonPropertyName("zero_threshold"), JsonRequired] double ZeroThreshold,
        [property: JsonPropertyName("offset"), JsonRequired] long Offset,
        [property: JsonPropertyName("counts"), JsonRequired] long[] Counts,
        [property: JsonPropertyName("count")] long? Count,
        [property: JsonPropertyName("sum"), JsonRequired] double Sum,
        [property: JsonPropertyName("min"), JsonRequired] double Min,
        [property: JsonPropertyName("max"), JsonRequired] double Max)
    {
        public static HistogramDocument From(ExponentialHistogram h) =>
            new(h.Scale, h.ZeroCount, h.ZeroThreshold, h.Offset, h.Counts.ToArray(), h.Count, h.Sum, h.Min, h.Max);

        public ExponentialHistogram ToHistogram(string series)
        {
            ExponentialHistogram h;
            try
            {
                h = ExponentialHistogram.Create(Scale, ZeroCount, Offset, Counts ?? throw new JsonException($"{series}: counts is null"), Sum, Min, Max, ZeroThreshold);
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new JsonException($"{series}: {e.Message}", e);
            }

            return Count is null || Count == h.Count
                ? h
                : throw new JsonException($"{series}: count is {Count}, but zero_count and the bucket counts add up to {h.Count}");
        }
    }

    internal sealed record DashboardDocument(
        [property: JsonPropertyName("timestamp")] double Timestamp,
        [property: JsonPropertyName("metrics")] Dictionary<string, double> Metrics,
        [property: JsonPropertyName("status")] string Status);

    internal sealed record BottleneckDocument(
        [property: JsonPropertyName("name")] string Name,
        [property: JsonPropertyName("value")] double Value,
        [property: JsonPropertyName("threshold")] double Threshold,
        [property: JsonPropertyName("message")] string Message);

    internal sealed record AnalysisDocument(
        [property: JsonPropertyName("total_batches")] long TotalBatches,
        [property: JsonPropertyName("total_processed")] long TotalProcessed,
        [property: JsonPropertyName("avg_throughput")] double AvgThroughput,
        [property: JsonPropertyName("p95_processing_time")] double P95ProcessingTime,
        [property: JsonPropertyName("error_rate")] double ErrorRate,
        [property: JsonPropertyName("efficiency_score")] double EfficiencyScore,
        [property: JsonPropertyName("stability_index")] double StabilityIndex,
        [property: JsonPropertyName("load_distribution")] Dictionary<string, double> LoadDistribution,
        [property: JsonPropertyName("performance_trend")] string PerformanceTrend,
        [property: JsonPropertyName("throughput_trend")] string ThroughputTrend,
        [property: JsonPropertyName("error_trend")] string ErrorTrend,
        [property: JsonPropertyName("utilization")] double Utilization,
        [property: JsonPropertyName("recommended_capacity")] int RecommendedCapacity,
        [property: JsonPropertyName("bottlenecks")] BottleneckDocument[] Bottlenecks,
        [property: JsonPropertyName("stats")] Dictionary<string, double> Stats)
    {
        public static AnalysisDocument From(BatchStatsAnalysis a) => new(
            a.TotalBatches,
            a.TotalProcessed,
            a.AvgThroughput,
            a.P95ProcessingTime,
            a.ErrorRate,
            a.EfficiencyScore,
            a.StabilityIndex,
            new Dictionary<string, double>
            {
                ["min"] = a.LoadDistribution.Min,
                ["q1"] = a.LoadDistribution.Q1,
                ["median"] = a.LoadDistribution.Median,
                ["q3"] = a.LoadDistribution.Q3,
                ["max"] = a.LoadDistribution.Max,
            },
            BatchStatsAnalysis.Word(a.PerformanceTrend),
            BatchStatsAnalysis.Word(a.ThroughputTrend),
            BatchStatsAnalysis.Word(a.ErrorTrend),
            a.Utilization,
            a.RecommendedCapacity,
            [.. a.Bottlenecks.Select(b => new BottleneckDocument(b.Name, b.Value, b.Threshold, b.Message))],
            ToPlain(a.Snapshot));
    }
}

/// <summary>Source-generated serializers (no reflection: trim- and AOT-safe).</summary>
[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals)]
[JsonSerializable(typeof(Dictionary<string, double>))]
[JsonSerializable(typeof(BatchStatsJson.AnalysisDocument))]
[JsonSerializable(typeof(BatchStatsJson.DashboardDocument))]
[JsonSerializable(typeof(BatchStatsJson.HistogramsDocument))]
internal sealed partial class BatchStatsJsonContext : JsonSerializerContext;
