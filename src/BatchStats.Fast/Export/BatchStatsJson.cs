using System;
using System.Collections.Generic;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace BatchStats.Fast;

/// <summary>
/// JSON for snapshots, analyses and dashboard data, with System.Text.Json source generation (trim- and AOT-safe).
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

    private static Dictionary<string, double> ToPlain(BatchStatsSnapshot snapshot) => ToPlain(snapshot.ToDictionary());

    private static Dictionary<string, double> ToPlain(IReadOnlyDictionary<string, double> figures) => new(figures);

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
internal sealed partial class BatchStatsJsonContext : JsonSerializerContext;
