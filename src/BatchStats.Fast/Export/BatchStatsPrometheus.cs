using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace BatchStats.Fast;

/// <summary>Settings of the Prometheus text exposition.</summary>
public sealed class PrometheusExportOptions
{
    /// <summary>Metric name prefix (snake_case, must match <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>). Default <c>batch</c>.</summary>
    public string Prefix { get; init; } = "batch";

    /// <summary>Labels added to every sample (e.g. <c>instance</c>, <c>model</c>). Values are escaped.</summary>
    public IReadOnlyDictionary<string, string> ConstantLabels { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Upper bounds (seconds, ascending) of the processing-time and latency histogram buckets; <c>+Inf</c> is added.
    /// Default 1 ms … 10 s.
    /// </summary>
    public IReadOnlyList<double> HistogramBuckets { get; init; } = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
}

/// <summary>
/// Prometheus text exposition (format 0.0.4), written by hand into a <see cref="TextWriter"/>.
/// </summary>
/// <remarks>
/// <para>Families (prefix <c>batch</c>): counters <c>batch_batches_total</c>, <c>batch_processed_items_total</c>,
/// <c>batch_errors_total</c>, <c>batch_rejected_samples_total</c>; gauges <c>batch_throughput_items_per_second</c>,
/// <c>batch_peak_throughput_items_per_second</c>, <c>batch_error_ratio</c>, <c>batch_queue_time_avg_seconds</c>,
/// <c>batch_queue_length_avg</c>, <c>batch_queue_length_max</c>, <c>batch_size_avg</c>, <c>batch_window_samples</c>;
/// summaries <c>batch_processing_time_seconds</c> and <c>batch_latency_seconds</c> (quantiles 0.5/0.95/0.99 of the
/// window, exact, with <c>_sum</c>/<c>_count</c> over the window); histograms
/// <c>batch_processing_duration_seconds</c> and <c>batch_latency_duration_seconds</c> built from the window's raw samples.</para>
/// <para>Per-process quantiles cannot be aggregated across processes; the histograms can
/// (<c>histogram_quantile(0.99, sum by (le) (rate(batch_processing_duration_seconds_bucket[5m])))</c>). Note that the
/// histogram counts describe the current window, not all time, so they are exposed as gauges of a window and a
/// <c>rate()</c> over them is only meaningful while the window turns over faster than the scrape interval.</para>
/// </remarks>
public static class BatchStatsPrometheus
{
    /// <summary>
    /// Writes the exposition of <paramref name="stats"/>: the figures and the histograms come from one copy of the
    /// window (computed afresh, not from the snapshot cache), so quantiles, counts and buckets agree.
    /// </summary>
    /// <param name="writer">Where the text goes.</param>
    /// <param name="stats">The tracker.</param>
    /// <param name="options">Names, labels and buckets; default <see cref="PrometheusExportOptions"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> or <paramref name="stats"/> is null.</exception>
    /// <exception cref="ArgumentException">The prefix, a label name or the buckets are invalid.</exception>
    public static void Write(TextWriter writer, LockFreeBatchStats stats, PrometheusExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(stats);
        (BatchStatsSnapshot snapshot, BatchSample[] window) = stats.GetStatsWithSamples();
        Write(writer, snapshot, window, options);
    }

    /// <summary>Writes the exposition of a snapshot and the window's raw samples (for the histograms).</summary>
    /// <param name="writer">Where the text goes.</param>
    /// <param name="snapshot">The figures.</param>
    /// <param name="window">The window's samples (e.g. from <see cref="LockFreeBatchStats.CopyRecentSamples"/>).</param>
    /// <param name="options">Names, labels and buckets.</param>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> or <paramref name="snapshot"/> is null.</exception>
    /// <exception cref="ArgumentException">The prefix, a label name or the buckets are invalid.</exception>
    public static void Write(TextWriter writer, BatchStatsSnapshot snapshot, ReadOnlySpan<BatchSample> window, PrometheusExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(snapshot);
        options ??= new PrometheusExportOptions();
        Validate(options);
        string labels = FormatLabels(options.ConstantLabels);
        string p = options.Prefix;

        Family(writer, p, "_batches_total", "counter", "Batches recorded since start.", labels, snapshot.BatchCount);
        Family(writer, p, "_processed_items_total", "counter", "Items processed since start (sum of batch sizes).", labels, snapshot.TotalProcessed);
        Family(writer, p, "_errors_total", "counter", "Errors recorded since start.", labels, snapshot.TotalErrors);
        Family(writer, p, "_rejected_samples_total", "counter", "Bad samples dropped under the drop policy.", labels, snapshot.RejectedSamples);
        Family(writer, p, "_throughput_items_per_second", "gauge", "Items per second of processing over the window.", labels, snapshot.Throughput);
        Family(writer, p, "_peak_throughput_items_per_second", "gauge", "Highest throughput reported so far.", labels, snapshot.PeakThroughput);
        Family(writer, p, "_error_ratio", "gauge", "All-time errors per processed item.", labels, snapshot.ErrorRate);
        Family(writer, p, "_queue_time_avg_seconds", "gauge", "Mean queue time over the window.", labels, snapshot.AvgQueueTime);
        Family(writer, p, "_queue_length_avg", "gauge", "Mean observed queue length over the window.", labels, snapshot.AvgQueueLength);
        Family(writer, p, "_queue_length_max", "gauge", "Largest observed queue length over the window.", labels, snapshot.MaxQueueLength);
        Family(writer, p, "_size_avg", "gauge", "Mean batch size over the window.", labels, snapshot.AvgBatchSize);
        Family(writer, p, "_window_samples", "gauge", "Samples in the window.", labels, snapshot.WindowCount);

        double processingSum = 0, latencySum = 0;
        foreach (BatchSample s in window)
        {
            processingSum += s.ProcessingTime;
            latencySum += s.Latency;
        }

        Summary(writer, p, "_processing_time_seconds", "Processing time per batch over the window (exact quantiles).", labels,
            snapshot.MedianProcessingTime, snapshot.P95ProcessingTime, snapshot.P99ProcessingTime, processingSum, window.Length);
        Summary(writer, p, "_latency_seconds", "End-to-end latency per batch over the window (exact quantiles).", labels,
            snapshot.MedianLatency, snapshot.P95Latency, snapshot.P99Latency, latencySum, window.Length);
        Histogram(writer, p, "_processing_duration_seconds", "Processing time per batch over the window, bucketed.", labels, options.HistogramBuckets, window, latency: false);
        Histogram(writer, p, "_latency_duration_seconds", "End-to-end latency per batch over the window, bucketed.", labels, options.HistogramBuckets, window, latency: true);
    }

    private static void Validate(PrometheusExportOptions options)
    {
        if (!IsMetricName(options.Prefix))
        {
            throw new ArgumentException($"'{options.Prefix}' is not a valid Prometheus metric name prefix.", nameof(options));
        }

        foreach (string name in options.ConstantLabels.Keys)
        {
            if (!IsLabelName(name))
            {
                throw new ArgumentException($"'{name}' is not a valid Prometheus label name.", nameof(options));
            }
        }

        for (int i = 0; i < options.HistogramBuckets.Count; i++)
        {
            double b = options.HistogramBuckets[i];
            if (!double.IsFinite(b) || (i > 0 && b <= options.HistogramBuckets[i - 1]))
            {
                throw new ArgumentException("Histogram buckets must be finite and strictly ascending.", nameof(options));
            }
        }
    }

    private static bool IsMetricName(string name)
    {
        if (string.IsNullOrEmpty(name) || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or ':'))
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsLabelName(string name) => IsMetricName(name) && !name.Contains(':', StringComparison.Ordinal) && !name.StartsWith("__", StringComparison.Ordinal);

    private static string FormatLabels(IReadOnlyDictionary<string, string> labels)
    {
        if (labels.Count == 0)
        {
            return string.Empty;
        }

        var builder = new System.Text.StringBuilder();
        foreach ((string name, string value) in labels)
        {
            builder.Append(builder.Length == 0 ? string.Empty : ",").Append(name).Append("=\"");
            foreach (char c in value)
            {
                // Label value escaping of the text format: backslash, double quote and line feed.
                switch (c)
                {
                    case '\\':
                        builder.Append(@"\\");
                        break;
                    case '"':
                        builder.Append("\\\"");
                        break;
                    case '\n':
                        builder.Append(@"\n");
                        break;
                    default:
                        builder.Append(c);
                        break;
                }
            }

            builder.Append('"');
        }

        return builder.ToString();
    }

    private static void Header(TextWriter w, string prefix, string name, string type, string help)
    {
        w.Write("# HELP ");
        w.Write(prefix);
        w.Write(name);
        w.Write(' ');
        w.Write(help);
        w.Write("\n# TYPE ");
        w.Write(prefix);
        w.Write(name);
        w.Write(' ');
        w.Write(type);
        w.Write('\n');
    }

    private static void Family(TextWriter w, string prefix, string name, string type, string help, string labels, double value)
    {
        Header(w, prefix, name, type, help);
        Sample(w, prefix, name, null, labels, null, value);
    }

    private static void Summary(TextWriter w, string prefix, string name, string help, string labels, double p50, double p95, double p99, double sum, long count)
    {
        Header(w, prefix, name, "summary", help);
        Sample(w, prefix, name, null, labels, "quantile=\"0.5\"", p50);
        Sample(w, prefix, name, null, labels, "quantile=\"0.95\"", p95);
        Sample(w, prefix, name, null, labels, "quantile=\"0.99\"", p99);
        Sample(w, prefix, name, "_sum", labels, null, sum);
        Sample(w, prefix, name, "_count", labels, null, count);
    }

    private static void Histogram(TextWriter w, string prefix, string name, string help, string labels, IReadOnlyList<double> bounds, ReadOnlySpan<BatchSample> window, bool latency)
    {
        Header(w, prefix, name, "histogram", help);
        Span<long> counts = bounds.Count <= 64 ? stackalloc long[bounds.Count] : new long[bounds.Count];
        counts.Clear();
        double sum = 0;
        foreach (BatchSample s in window)
        {
            double x = latency ? s.Latency : s.ProcessingTime;
            sum += x;
            for (int i = 0; i < bounds.Count; i++)
            {
                if (x <= bounds[i])
                {
                    counts[i]++;
                    break;
                }
            }
        }

        long cumulative = 0;
        for (int i = 0; i < bounds.Count; i++)
        {
            cumulative += counts[i];
            Sample(w, prefix, name, "_bucket", labels, bounds[i], cumulative);
        }

        Sample(w, prefix, name, "_bucket", labels, "le=\"+Inf\"", window.Length);
        Sample(w, prefix, name, "_sum", labels, null, sum);
        Sample(w, prefix, name, "_count", labels, null, window.Length);
    }

    private static void Sample(TextWriter w, string prefix, string name, string? suffix, string labels, string? extraLabel, double value)
    {
        StartSample(w, prefix, name, suffix, labels, extraLabel is not null);
        if (extraLabel is not null)
        {
            w.Write(extraLabel);
        }

        EndSample(w, labels, extraLabel is not null, value);
    }

    /// <summary>A histogram bucket sample: <c>le</c> is formatted into the writer, not into a string.</summary>
    private static void Sample(TextWriter w, string prefix, string name, string suffix, string labels, double le, double value)
    {
        StartSample(w, prefix, name, suffix, labels, extra: true);
        w.Write("le=\"");
        WriteValue(w, le);
        w.Write('"');
        EndSample(w, labels, extra: true, value);
    }

    private static void StartSample(TextWriter w, string prefix, string name, string? suffix, string labels, bool extra)
    {
        w.Write(prefix);
        w.Write(name);
        if (suffix is not null)
        {
            w.Write(suffix);
        }

        if (labels.Length > 0 || extra)
        {
            w.Write('{');
            w.Write(labels);
            if (labels.Length > 0 && extra)
            {
                w.Write(',');
            }
        }
    }

    private static void EndSample(TextWriter w, string labels, bool extra, double value)
    {
        if (labels.Length > 0 || extra)
        {
            w.Write('}');
        }

        w.Write(' ');
        WriteValue(w, value);
        w.Write('\n');
    }

    private static void WriteValue(TextWriter w, double value)
    {
        if (double.IsNaN(value))
        {
            w.Write("NaN");
        }
        else if (double.IsInfinity(value))
        {
            w.Write(value > 0 ? "+Inf" : "-Inf");
        }
        else
        {
            Span<char> buffer = stackalloc char[32];
            value.TryFormat(buffer, out int written, "R", CultureInfo.InvariantCulture);
            w.Write(buffer[..written]);
        }
    }
}
