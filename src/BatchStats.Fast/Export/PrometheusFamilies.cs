using System;
using System.Collections.Generic;
using BatchStats.Fast.Internal;

namespace BatchStats.Fast.Export;

/// <summary>The kinds of metric family the exposition writes (values of Prometheus' <c>MetricType</c>).</summary>
internal enum FamilyType
{
    Counter = 0,
    Gauge = 1,
    Summary = 2,
    Histogram = 4,
}

/// <summary>One metric family of the exposition, in a form both the text and the protobuf writer render.</summary>
/// <param name="Name">Full metric name (prefix included).</param>
/// <param name="Help">Help text.</param>
/// <param name="Type">Family type.</param>
/// <param name="Value">Counter or gauge value.</param>
/// <param name="Quantiles">Summary quantiles (exact, over the window): (quantile, value).</param>
/// <param name="Histogram">Histogram distribution (all-time).</param>
/// <param name="Count">Summary or histogram <c>_count</c> (all-time).</param>
/// <param name="Sum">Summary or histogram <c>_sum</c> (all-time).</param>
internal sealed record Family(
    string Name, string Help, FamilyType Type, double Value = 0,
    (double Quantile, double Value)[]? Quantiles = null, ExponentialHistogram? Histogram = null, long Count = 0, double Sum = 0);

/// <summary>One tracker's families and the labels of its series.</summary>
/// <param name="Families">The families, in <see cref="PrometheusFamilies.Build"/> order.</param>
/// <param name="Labels">Labels of every series of this tracker (values unescaped).</param>
internal sealed record ExpositionSource(List<Family> Families, IReadOnlyDictionary<string, string> Labels);

/// <summary>
/// The families of the exposition, from one snapshot (windowed figures and all-time counters) and the all-time
/// histograms. Every counter, histogram bucket, <c>_count</c> and <c>_sum</c> is cumulative since the tracker was
/// created; windowed figures are gauges named <c>*_window_*</c> or summary quantiles.
/// </summary>
internal static class PrometheusFamilies
{
    public static List<Family> Build(string p, BatchStatsSnapshot s, BatchStatsHistograms h) =>
    [
        new(p + "_batches_total", "Batches recorded since start.", FamilyType.Counter, s.BatchCount),
        new(p + "_processed_items_total", "Items processed since start (sum of batch sizes).", FamilyType.Counter, s.TotalProcessed),
        new(p + "_errors_total", "Errors recorded since start.", FamilyType.Counter, s.TotalErrors),
        new(p + "_rejected_samples_total", "Bad samples dropped under the drop policy since start.", FamilyType.Counter, s.RejectedSamples),
        new(p + "_window_throughput_items_per_second", "Items per second of processing over the window (the most recent batches).", FamilyType.Gauge, s.Throughput),
        new(p + "_peak_throughput_items_per_second", "Highest windowed throughput reported since start.", FamilyType.Gauge, s.PeakThroughput),
        new(p + "_error_ratio", "Errors per processed item since start.", FamilyType.Gauge, s.ErrorRate),
        new(p + "_window_processing_time_avg_seconds", "Mean processing time per batch over the window.", FamilyType.Gauge, s.AvgProcessingTime),
        new(p + "_window_latency_avg_seconds", "Mean end-to-end latency per batch over the window.", FamilyType.Gauge, s.AvgLatency),
        new(p + "_window_queue_time_avg_seconds", "Mean queue time over the window.", FamilyType.Gauge, s.AvgQueueTime),
        new(p + "_window_queue_length_avg", "Mean observed queue length over the window.", FamilyType.Gauge, s.AvgQueueLength),
        new(p + "_window_queue_length_max", "Largest observed queue length over the window.", FamilyType.Gauge, s.MaxQueueLength),
        new(p + "_window_batch_size_avg", "Mean batch size over the window.", FamilyType.Gauge, s.AvgBatchSize),
        new(p + "_window_samples", "Batches in the window.", FamilyType.Gauge, s.WindowCount),
        Summary(p + "_processing_time_seconds", "Processing time per batch: exact quantiles over the window; _sum and _count since start.",
            s.MedianProcessingTime, s.P95ProcessingTime, s.P99ProcessingTime, h.ProcessingTime),
        Summary(p + "_latency_seconds", "End-to-end latency per batch: exact quantiles over the window; _sum and _count since start.",
            s.MedianLatency, s.P95Latency, s.P99Latency, h.Latency),
        Histogram(p + "_processing_duration_seconds", "Processing time per batch since start.", h.ProcessingTime),
        Histogram(p + "_queue_duration_seconds", "Queue time per batch since start.", h.QueueTime),
        Histogram(p + "_latency_duration_seconds", "End-to-end latency per batch since start.", h.Latency),
    ];

    /// <summary>
    /// The classic buckets: each requested bound snapped to the nearest bucket edge at or above it (edges are
    /// <c>2^((i + 1) / 2^scale)</c>, so powers of two are exact from scale 0 up), with the cumulative count up to that
    /// edge. Bounds that snap to an infinite edge are left to the +Inf bucket, and bounds below the zero threshold are
    /// left out: the zero bucket's values may lie anywhere up to it (a tracker's threshold, 2^-24 s, is below every bound
    /// written; a merge with a wider one raises it).
    /// </summary>
    public static List<(double UpperBound, long CumulativeCount)> ClassicBuckets(ExponentialHistogram h, IReadOnlyList<double> bounds)
    {
        var buckets = new List<(double, long)>(bounds.Count);
        long lastIndex = long.MinValue;
        foreach (double bound in bounds)
        {
            double b = Math.Clamp(bound, Math.BitIncrement(ExponentialLayout.MinValue), ExponentialLayout.MaxValue);
            long index = (long)Math.Ceiling(Math.Log2(b) * Math.Pow(2, h.Scale)) - 1; // then corrected exactly:
            while (ExponentialLayout.UpperBound(index, h.Scale) < b)
            {
                index++;
            }

            while (ExponentialLayout.UpperBound(index - 1, h.Scale) >= b)
            {
                index--;
            }

            if (index == lastIndex)
            {
                continue; // two bounds snapped to one edge
            }

            double edge = ExponentialLayout.UpperBound(index, h.Scale);
            if (double.IsPositiveInfinity(edge))
            {
                break; // at scale -10 and below an edge is 2^1024 or beyond: the +Inf bucket, which the writers add
            }

            if (edge < h.ZeroThreshold)
            {
                continue; // the zero bucket's values may lie anywhere up to its threshold: no exact count below it
            }

            lastIndex = index;
            long cumulative = h.ZeroCount;
            ReadOnlySpan<long> counts = h.Counts;
            for (int i = 0; i < counts.Length && h.Offset + i <= index; i++)
            {
                cumulative += counts[i];
            }

            buckets.Add((edge, cumulative));
        }

        return buckets;
    }

    /// <summary>Every power of two from 2^-14 s (about 61 µs) to 2^6 s (64 s): exact bucket edges at every scale from 0 up (every tracker's).</summary>
    public static IReadOnlyList<double> DefaultBounds { get; } = BuildDefaultBounds();

    private static double[] BuildDefaultBounds()
    {
        var bounds = new double[21];
        for (int i = 0; i < bounds.Length; i++)
        {
            bounds[i] = Math.ScaleB(1, i - 14);
        }

        return bounds;
    }

    private static Family Summary(string name, string help, double p50, double p95, double p99, ExponentialHistogram allTime) =>
        new(name, help, FamilyType.Summary, Quantiles: [(0.5, p50), (0.95, p95), (0.99, p99)], Count: allTime.Count, Sum: allTime.Sum);

    private static Family Histogram(string name, string help, ExponentialHistogram h) =>
        new(name, help, FamilyType.Histogram, Histogram: h, Count: h.Count, Sum: h.Sum);
}
