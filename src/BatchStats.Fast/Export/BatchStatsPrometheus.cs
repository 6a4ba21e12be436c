using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using BatchStats.Fast.Export;

namespace BatchStats.Fast;

/// <summary>
/// Prometheus exposition of a tracker, in the text format (0.0.4) or, when the scraper asks for it, the delimited
/// protobuf format with native histograms.
/// </summary>
/// <remarks>
/// <para>Families (prefix <c>batch</c>). Counters, all-time: <c>batch_batches_total</c>,
/// <c>batch_processed_items_total</c>, <c>batch_errors_total</c>, <c>batch_rejected_samples_total</c>. Gauges:
/// windowed <c>batch_window_throughput_items_per_second</c>, <c>batch_window_processing_time_avg_seconds</c>,
/// <c>batch_window_latency_avg_seconds</c>, <c>batch_window_queue_time_avg_seconds</c>,
/// <c>batch_window_queue_length_avg</c>, <c>batch_window_queue_length_max</c>, <c>batch_window_batch_size_avg</c>,
/// <c>batch_window_samples</c>; <c>batch_peak_throughput_items_per_second</c> (high-water mark) and
/// <c>batch_error_ratio</c> (all-time). Summaries <c>batch_processing_time_seconds</c> and
/// <c>batch_latency_seconds</c>: exact quantiles 0.5/0.95/0.99 over the window, <c>_sum</c>/<c>_count</c> all-time.
/// Histograms, all-time: <c>batch_processing_duration_seconds</c>, <c>batch_queue_duration_seconds</c>,
/// <c>batch_latency_duration_seconds</c>.</para>
/// <para>Every counter and every histogram and summary <c>_bucket</c>/<c>_count</c>/<c>_sum</c> is cumulative since
/// the tracker was created and never falls (a reused writer ring's counts carry on), so <c>rate()</c>,
/// <c>increase()</c> and <c>histogram_quantile(0.99, sum by (le) (rate(…_bucket[5m])))</c> work, across processes
/// too. In the protobuf format each histogram is also a native histogram: schema = the tracker's
/// <see cref="BatchStatsOptions.HistogramScale"/>, zero threshold 2^-24, spans and delta-encoded bucket counts.</para>
/// </remarks>
public static class BatchStatsPrometheus
{
    /// <summary>The content type of the text format.</summary>
    public const string TextContentType = "text/plain; version=0.0.4; charset=utf-8";

    /// <summary>The content type of the delimited protobuf format.</summary>
    public const string ProtobufContentType = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";

    /// <summary>Whether an HTTP <c>Accept</c> header asks for the delimited protobuf format (as Prometheus does with native histograms enabled).</summary>
    /// <param name="accept">The header's value, or null.</param>
    /// <returns>True to answer with <see cref="WriteProtobuf(Stream, IBatchStatsWithHistograms, PrometheusExportOptions?)"/>.</returns>
    public static bool AcceptsProtobuf(string? accept)
    {
        if (string.IsNullOrEmpty(accept))
        {
            return false;
        }

        foreach (string range in accept.Split(','))
        {
            if (IsProtobufRange(range))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>One media range of an <c>Accept</c> header: the delimited MetricFamily protobuf, with a quality above 0.</summary>
    private static bool IsProtobufRange(string range)
    {
        string[] parts = range.Split(';', StringSplitOptions.TrimEntries);
        if (!string.Equals(parts[0], "application/vnd.google.protobuf", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        bool proto = false, delimited = false;
        foreach (string parameter in parts.AsSpan(1))
        {
            int eq = parameter.IndexOf('=', StringComparison.Ordinal);
            string name = eq < 0 ? parameter : parameter[..eq].Trim();
            string value = eq < 0 ? string.Empty : parameter[(eq + 1)..].Trim().Trim('"');
            if (string.Equals(name, "proto", StringComparison.OrdinalIgnoreCase))
            {
                proto = value == "io.prometheus.client.MetricFamily";
            }
            else if (string.Equals(name, "encoding", StringComparison.OrdinalIgnoreCase))
            {
                delimited = value == "delimited";
            }
            else if (string.Equals(name, "q", StringComparison.OrdinalIgnoreCase)
                && !(double.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out double q) && q > 0))
            {
                return false; // q=0 (or 0.0, 0.000): explicitly not acceptable; an unreadable q is not trusted either
            }
        }

        return proto && delimited;
    }

    /// <summary>Writes the text exposition of <paramref name="stats"/>: its (cached) snapshot and its all-time histograms.</summary>
    /// <param name="writer">Where the text goes.</param>
    /// <param name="stats">The tracker (e.g. a <see cref="LockFreeBatchStats"/>).</param>
    /// <param name="options">Names, labels and classic buckets; default <see cref="PrometheusExportOptions"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> or <paramref name="stats"/> is null.</exception>
    /// <exception cref="ArgumentException">The prefix, a label name or the buckets are invalid.</exception>
    public static void Write(TextWriter writer, IBatchStatsWithHistograms stats, PrometheusExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stats);
        Write(writer, stats.GetStats(), stats.GetHistograms(), options);
    }

    /// <summary>Writes the text exposition of a snapshot and all-time histograms (e.g. merged from several trackers).</summary>
    /// <param name="writer">Where the text goes.</param>
    /// <param name="snapshot">The windowed figures and all-time counters.</param>
    /// <param name="histograms">The all-time distributions.</param>
    /// <param name="options">Names, labels and classic buckets.</param>
    /// <exception cref="ArgumentNullException">An argument other than <paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The prefix, a label name or the buckets are invalid.</exception>
    public static void Write(TextWriter writer, BatchStatsSnapshot snapshot, BatchStatsHistograms histograms, PrometheusExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(writer);
        (List<Family> families, options, IReadOnlyList<double> bounds) = Prepare(snapshot, histograms, options);
        PrometheusText.Write(writer, [new ExpositionSource(families, options.ConstantLabels)], bounds);
    }

    /// <summary>Writes the delimited protobuf exposition of <paramref name="stats"/>, distributions as native histograms.</summary>
    /// <param name="stream">Where the bytes go.</param>
    /// <param name="stats">The tracker (e.g. a <see cref="LockFreeBatchStats"/>).</param>
    /// <param name="options">Names, labels and classic buckets; default <see cref="PrometheusExportOptions"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="stats"/> is null.</exception>
    /// <exception cref="ArgumentException">The prefix, a label name or the buckets are invalid.</exception>
    public static void WriteProtobuf(Stream stream, IBatchStatsWithHistograms stats, PrometheusExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stats);
        WriteProtobuf(stream, stats.GetStats(), stats.GetHistograms(), options);
    }

    /// <summary>Writes the delimited protobuf exposition of a snapshot and all-time histograms.</summary>
    /// <param name="stream">Where the bytes go.</param>
    /// <param name="snapshot">The windowed figures and all-time counters.</param>
    /// <param name="histograms">The all-time distributions.</param>
    /// <param name="options">Names, labels and classic buckets.</param>
    /// <exception cref="ArgumentNullException">An argument other than <paramref name="options"/> is null.</exception>
    /// <exception cref="ArgumentException">The prefix, a label name or the buckets are invalid.</exception>
    public static void WriteProtobuf(Stream stream, BatchStatsSnapshot snapshot, BatchStatsHistograms histograms, PrometheusExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        (List<Family> families, options, IReadOnlyList<double> bounds) = Prepare(snapshot, histograms, options);
        PrometheusProtobuf.Write(stream, [new ExpositionSource(families, options.ConstantLabels)], bounds);
    }

    /// <summary>
    /// Writes the text exposition of several trackers: each family once, with one series per tracker labelled
    /// <c>tracker="name"</c> (besides the constant labels).
    /// </summary>
    /// <param name="writer">Where the text goes.</param>
    /// <typeparam name="TStats">The trackers' type, e.g. <see cref="LockFreeBatchStats"/>.</typeparam>
    /// <param name="trackers">The trackers by name (at least one).</param>
    /// <param name="options">Names, labels and classic buckets.</param>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> or <paramref name="trackers"/> is null.</exception>
    /// <exception cref="ArgumentException">No tracker, or the prefix, a label name or the buckets are invalid.</exception>
    public static void Write<TStats>(TextWriter writer, IReadOnlyDictionary<string, TStats> trackers, PrometheusExportOptions? options = null)
        where TStats : IBatchStatsWithHistograms
    {
        ArgumentNullException.ThrowIfNull(writer);
        (List<ExpositionSource> sources, IReadOnlyList<double> bounds) = PrepareMany(trackers, options);
        PrometheusText.Write(writer, sources, bounds);
    }

    /// <summary>Writes the delimited protobuf exposition of several trackers, one metric per tracker labelled <c>tracker="name"</c>.</summary>
    /// <param name="stream">Where the bytes go.</param>
    /// <typeparam name="TStats">The trackers' type, e.g. <see cref="LockFreeBatchStats"/>.</typeparam>
    /// <param name="trackers">The trackers by name (at least one).</param>
    /// <param name="options">Names, labels and classic buckets.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> or <paramref name="trackers"/> is null.</exception>
    /// <exception cref="ArgumentException">No tracker, or the prefix, a label name or the buckets are invalid.</exception>
    public static void WriteProtobuf<TStats>(Stream stream, IReadOnlyDictionary<string, TStats> trackers, PrometheusExportOptions? options = null)
        where TStats : IBatchStatsWithHistograms
    {
        ArgumentNullException.ThrowIfNull(stream);
        (List<ExpositionSource> sources, IReadOnlyList<double> bounds) = PrepareMany(trackers, options);
        PrometheusProtobuf.Write(stream, sources, bounds);
    }

    /// <summary>The label the several-tracker overloads put on each tracker's series.</summary>
    private const string TrackerLabel = "tracker";

    private static (List<ExpositionSource> Sources, IReadOnlyList<double> Bounds) PrepareMany<TStats>(IReadOnlyDictionary<string, TStats> trackers, PrometheusExportOptions? options)
        where TStats : IBatchStatsWithHistograms
    {
        ArgumentNullException.ThrowIfNull(trackers);
        if (trackers.Count == 0)
        {
            throw new ArgumentException("At least one tracker is needed.", nameof(trackers));
        }

        options ??= new PrometheusExportOptions();
        IReadOnlyList<double> bounds = Validate(options);
        if (options.ConstantLabels.ContainsKey(TrackerLabel))
        {
            throw new ArgumentException("The constant label 'tracker' clashes with the label this overload writes on each tracker's series.", nameof(options));
        }

        var sources = new List<ExpositionSource>(trackers.Count);
        foreach ((string name, TStats stats) in trackers)
        {
            if (stats is null)
            {
                throw new ArgumentException($"The tracker '{name}' is null.", nameof(trackers));
            }

            var labels = new Dictionary<string, string>(options.ConstantLabels) { [TrackerLabel] = name };
            sources.Add(new ExpositionSource(PrometheusFamilies.Build(options.Prefix, stats.GetStats(), stats.GetHistograms()), labels));
        }

        return (sources, bounds);
    }

    /// <summary>The families of an exposition and its validated options and classic bounds, shared by both formats.</summary>
    private static (List<Family> Families, PrometheusExportOptions Options, IReadOnlyList<double> Bounds) Prepare(
        BatchStatsSnapshot snapshot, BatchStatsHistograms histograms, PrometheusExportOptions? options)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(histograms);
        options ??= new PrometheusExportOptions();
        IReadOnlyList<double> bounds = Validate(options);
        return (PrometheusFamilies.Build(options.Prefix, snapshot, histograms), options, bounds);
    }

    private static IReadOnlyList<double> Validate(PrometheusExportOptions options)
    {
        if (!IsMetricName(options.Prefix))
        {
            throw new ArgumentException($"'{options.Prefix}' is not a valid Prometheus metric name prefix.", nameof(options));
        }

        if (options.ConstantLabels is null)
        {
            throw new ArgumentException("ConstantLabels must not be null (leave it unset for none).", nameof(options));
        }

        foreach ((string name, string value) in options.ConstantLabels)
        {
            if (!IsLabelName(name))
            {
                throw new ArgumentException($"'{name}' is not a valid Prometheus label name.", nameof(options));
            }

            if (value is null)
            {
                throw new ArgumentException($"The constant label '{name}' has a null value.", nameof(options));
            }

            if (name is "le" or "quantile")
            {
                throw new ArgumentException($"'{name}' is not a valid Prometheus label name for a constant label: the exposition writes it on every {(name == "le" ? "histogram bucket" : "summary quantile")}.", nameof(options));
            }
        }

        IReadOnlyList<double> bounds = options.HistogramBuckets ?? PrometheusFamilies.DefaultBounds;
        for (int i = 0; i < bounds.Count; i++)
        {
            double b = bounds[i];
            if (!double.IsFinite(b) || b <= 0 || (i > 0 && b <= bounds[i - 1]))
            {
                throw new ArgumentException("Histogram buckets must be finite, positive and strictly ascending.", nameof(options));
            }

            if (b > MaxClassicBound)
            {
                throw new ArgumentException($"Histogram buckets must be at most {MaxClassicBound} s (2^15): the all-time histograms count every value above 2^16 s in their highest bucket, so a classic bucket above 2^15 s could count values above its bound.", nameof(options));
            }
        }

        return bounds;
    }

    /// <summary>
    /// The highest classic bucket bound: 2^15 s, an exact edge at every scale and the lower edge (or below) of the
    /// highest exponential bucket, which also holds every value above 2^16 s.
    /// </summary>
    private const double MaxClassicBound = 32768;

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
}
