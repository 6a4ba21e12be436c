using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using BatchStats.Fast.Internal;

namespace BatchStats.Fast;

/// <summary>
/// Publishes an <see cref="IBatchStats"/> as <see cref="System.Diagnostics.Metrics"/> observable instruments, so
/// <c>dotnet-counters</c>, the OpenTelemetry SDK and any <see cref="MeterListener"/> see the numbers with no extra code.
/// </summary>
/// <remarks>
/// <para>Gauges (windowed): <c>batchstats.processing_time.mean|p50|p95|p99</c>, <c>batchstats.latency.mean|p50|p95|p99</c>,
/// <c>batchstats.queue_time.mean</c> (unit <c>s</c>), <c>batchstats.queue_length.mean|max</c> (<c>{item}</c>: items
/// waiting), <c>batchstats.batch_size.mean</c> (<c>{item}</c>), <c>batchstats.window.batches</c> (<c>{batch}</c>:
/// batches in the window), <c>batchstats.throughput</c> and <c>batchstats.throughput.peak</c> (<c>{item}/s</c>: the
/// highest any snapshot has reported), <c>batchstats.error_rate</c> (<c>1</c>). Counters (all-time, monotonic):
/// <c>batchstats.batches</c> (<c>{batch}</c>), <c>batchstats.items</c> (<c>{item}</c>), <c>batchstats.errors</c>
/// (<c>{error}</c>), <c>batchstats.rejected_samples</c> (<c>{sample}</c>: bad samples dropped under
/// <see cref="InvalidSamplePolicy.Drop"/>), and for an <see cref="IBatchStatsWithHistograms"/>
/// <c>batchstats.processing_time.sum</c>, <c>batchstats.queue_time.sum</c> and <c>batchstats.latency.sum</c>
/// (<c>s</c>: the mean over any interval is a sum's rate divided by the batches' rate). These are the figures of the
/// Prometheus exposition's counters and windowed gauges; names follow the OpenTelemetry semantic-convention style.</para>
/// <para>One collection reads one snapshot: the first callback takes <see cref="IBatchStats.GetStats"/> and the
/// callbacks that follow on the same thread within <see cref="SnapshotReuse"/> (a collection takes microseconds) reuse
/// it. Each collecting thread keeps its own, so collections that overlap on two threads never mix two snapshots (a
/// reader that collected twice within that time from two threads could be served the other thread's older one).</para>
/// <para>Several trackers on one meter need tags that tell them apart (<c>Create(stats, meter, [new("model",
/// "resnet")])</c>): the tags go on every measurement. Two publications on one meter with the same tags would report
/// under the same names and tags, and a collector keeps only one of them (the OpenTelemetry SDK exported the last
/// tracker's numbers alone), so the second is refused. Alternatively give each tracker its own meter, as the hosting
/// package does (one meter per tracker from <c>IMeterFactory</c>, with the meter tag <c>batchstats.tracker</c>).</para>
/// <para>Dispose to stop publishing (the instruments stay on the meter but report nothing).</para>
/// </remarks>
public sealed class BatchStatsInstruments : IDisposable
{
    /// <summary>How long one snapshot serves the callbacks of a collection: 100 ms.</summary>
    public static readonly TimeSpan SnapshotReuse = TimeSpan.FromMilliseconds(100);

    private static readonly long s_reuseTicks = (long)(SnapshotReuse.TotalSeconds * Stopwatch.Frequency);
    // The tag sets published on each meter: a second publication with the same tags is refused (see the remarks).
    private static readonly ConditionalWeakTable<Meter, ConcurrentDictionary<string, byte>> s_published = [];
    private readonly IBatchStats _stats;
    private readonly KeyValuePair<string, object?>[] _tags;
    private readonly Meter _meter;
    private readonly string _tagKey;
    private readonly List<Instrument> _instruments = [];
    // Per collecting thread: its collection's snapshot and when it was taken, and the same for a tracker's histograms
    // (trackers other than the core one). Not disposed: a collection may still run when Dispose is called, and the
    // finalizer frees them.
    private readonly ThreadLocal<Taken<BatchStatsSnapshot>?> _snapshot = new();
    private readonly ThreadLocal<Taken<BatchStatsHistograms>?> _histograms = new();
    private int _disposed;

    private BatchStatsInstruments(IBatchStats stats, Meter meter, KeyValuePair<string, object?>[] tags, string tagKey)
    {
        _stats = stats;
        _meter = meter;
        _tags = tags;
        _tagKey = tagKey;
        Gauge(meter, "batchstats.processing_time.mean", "s", "Mean processing time per batch over the window.", s => s.AvgProcessingTime);
        Gauge(meter, "batchstats.processing_time.p50", "s", "Median processing time over the window.", s => s.MedianProcessingTime);
        Gauge(meter, "batchstats.processing_time.p95", "s", "95th percentile of processing time over the window.", s => s.P95ProcessingTime);
        Gauge(meter, "batchstats.processing_time.p99", "s", "99th percentile of processing time over the window.", s => s.P99ProcessingTime);
        Gauge(meter, "batchstats.latency.mean", "s", "Mean end-to-end latency per batch over the window.", s => s.AvgLatency);
        Gauge(meter, "batchstats.latency.p50", "s", "Median end-to-end latency over the window.", s => s.MedianLatency);
        Gauge(meter, "batchstats.latency.p95", "s", "95th percentile of end-to-end latency over the window.", s => s.P95Latency);
        Gauge(meter, "batchstats.latency.p99", "s", "99th percentile of end-to-end latency over the window.", s => s.P99Latency);
        Gauge(meter, "batchstats.queue_time.mean", "s", "Mean queue time per batch over the window.", s => s.AvgQueueTime);
        Gauge(meter, "batchstats.queue_length.mean", "{item}", "Mean observed queue length (items waiting) over the window.", s => s.AvgQueueLength);
        Gauge(meter, "batchstats.queue_length.max", "{item}", "Largest observed queue length (items waiting) over the window.", s => s.MaxQueueLength);
        Gauge(meter, "batchstats.batch_size.mean", "{item}", "Mean batch size over the window.", s => s.AvgBatchSize);
        Gauge(meter, "batchstats.window.batches", "{batch}", "Batches in the window.", s => s.WindowCount);
        Gauge(meter, "batchstats.throughput", "{item}/s", "Items per second of processing over the window.", s => s.Throughput);
        Gauge(meter, "batchstats.throughput.peak", "{item}/s", "Highest windowed throughput any snapshot has reported.", s => s.PeakThroughput);
        Gauge(meter, "batchstats.error_rate", "1", "All-time errors per processed item.", s => s.ErrorRate);
        Counter(meter, "batchstats.batches", "{batch}", "Batches recorded since start.", s => s.BatchCount);
        Counter(meter, "batchstats.items", "{item}", "Items processed since start.", s => s.TotalProcessed);
        Counter(meter, "batchstats.errors", "{error}", "Errors recorded since start.", s => s.TotalErrors);
        Counter(meter, "batchstats.rejected_samples", "{sample}", "Bad samples dropped since start (InvalidSamplePolicy.Drop).", s => s.RejectedSamples);
        if (stats is IBatchStatsWithHistograms withHistograms)
        {
            // All-time sums, so rate(sum) / rate(batches) gives the mean over any interval. The core tracker sums its
            // rings' totals without building histograms; another tracker's histograms are read once per collection.
            Sum(meter, withHistograms, "batchstats.processing_time.sum", "Processing time recorded since start (all-time sum).", RingHistograms.Processing, h => h.ProcessingTime);
            Sum(meter, withHistograms, "batchstats.queue_time.sum", "Queue time recorded since start (all-time sum).", RingHistograms.Queue, h => h.QueueTime);
            Sum(meter, withHistograms, "batchstats.latency.sum", "End-to-end latency recorded since start (all-time sum).", RingHistograms.Latency, h => h.Latency);
        }
    }

    /// <summary>The instruments created on the meter.</summary>
    public IReadOnlyList<Instrument> Instruments => _instruments;

    /// <summary>Creates the instruments for <paramref name="stats"/> on <paramref name="meter"/>, untagged.</summary>
    /// <param name="stats">The tracker to publish.</param>
    /// <param name="meter">The meter to create the instruments on (its name is what listeners subscribe to).</param>
    /// <returns>The publication; dispose it to stop reporting.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The meter already publishes an untagged tracker (see the remarks on the type).</exception>
    public static BatchStatsInstruments Create(IBatchStats stats, Meter meter) => Create(stats, meter, []);

    /// <summary>
    /// Creates the instruments for <paramref name="stats"/> on <paramref name="meter"/>, with <paramref name="tags"/>
    /// on every measurement: how several trackers share one meter (<c>[new("model", "resnet")]</c>).
    /// </summary>
    /// <param name="stats">The tracker to publish.</param>
    /// <param name="meter">The meter to create the instruments on (its name is what listeners subscribe to).</param>
    /// <param name="tags">The tags of every measurement; keys non-empty and distinct.</param>
    /// <returns>The publication; dispose it to stop reporting.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">
    /// A tag key is null, empty or repeated, or the meter already publishes a tracker with the same tags (see the
    /// remarks on the type).
    /// </exception>
    public static BatchStatsInstruments Create(IBatchStats stats, Meter meter, IEnumerable<KeyValuePair<string, object?>> tags)
    {
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(tags);
        KeyValuePair<string, object?>[] copy = [.. tags];
        if (copy.Any(t => string.IsNullOrEmpty(t.Key)) || copy.DistinctBy(t => t.Key, StringComparer.Ordinal).Count() != copy.Length)
        {
            throw new ArgumentException("Tag keys must be non-empty and distinct.", nameof(tags));
        }

        // One text per tag set, whatever the order the tags come in: "key=value" lines, sorted, values in the invariant culture.
        string tagKey = string.Join('\n', copy.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key}={t.Value}")).Order(StringComparer.Ordinal));
        if (!s_published.GetOrAdd(meter, static _ => new(StringComparer.Ordinal)).TryAdd(tagKey, 0))
        {
            throw new ArgumentException(
                $"The meter '{meter.Name}' already publishes a tracker with {(copy.Length == 0 ? "no tags" : $"the tags {tagKey.Replace('\n', ',')}")}: " +
                "both would report under the same names and tags, and a collector keeps only one. Give each tracker its own tags or its own meter.",
                nameof(tags));
        }

        return new BatchStatsInstruments(stats, meter, copy, tagKey);
    }

    /// <summary>Stops reporting; the tags are free for another publication on the meter.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && s_published.TryGetValue(_meter, out var published)) // full fence: later callbacks see it and report nothing
        {
            published.TryRemove(_tagKey, out _);
        }
    }

    private void Gauge(Meter meter, string name, string unit, string description, Func<BatchStatsSnapshot, double> figure)
    {
        Func<double> value = () => figure(CollectionSnapshot());
        _instruments.Add(meter.CreateObservableGauge(name, () => Observe(value), unit, description));
    }

    private void Counter(Meter meter, string name, string unit, string description, Func<BatchStatsSnapshot, long> figure)
    {
        Func<long> value = () => figure(CollectionSnapshot());
        _instruments.Add(meter.CreateObservableCounter(name, () => Observe(value), unit, description));
    }

    private void Sum(Meter meter, IBatchStatsWithHistograms stats, string name, string description, int series, Func<BatchStatsHistograms, ExponentialHistogram> ofSeries)
    {
        Func<double> sum = stats is LockFreeBatchStats tracker
            ? () => tracker.AllTimeSum(series)
            : () => ofSeries(CollectionHistograms(stats)).Sum;
        _instruments.Add(meter.CreateObservableCounter(name, () => Observe(sum), "s", description));
    }

    /// <summary>One callback's measurement of <paramref name="value"/>, or none once disposed.</summary>
    private IEnumerable<Measurement<T>> Observe<T>(Func<T> value)
        where T : struct
    {
        if (Volatile.Read(ref _disposed) != 0) // acquire: pairs with Dispose's exchange, so no collection reads after it
        {
            return [];
        }

        return [new Measurement<T>(value(), _tags)];
    }

    /// <summary>The snapshot of the calling thread's collection (see <see cref="OfThisCollection"/>).</summary>
    private BatchStatsSnapshot CollectionSnapshot() => OfThisCollection(_snapshot, _stats.GetStats);

    /// <summary>The histograms of the calling thread's collection, for a tracker other than the core one.</summary>
    private BatchStatsHistograms CollectionHistograms(IBatchStatsWithHistograms stats) => OfThisCollection(_histograms, stats.GetHistograms);

    /// <summary>
    /// What the calling thread's collection has taken, or <paramref name="take"/> when it took nothing within
    /// <see cref="SnapshotReuse"/>. A listener runs a collection's callbacks one after another on one thread, so each
    /// thread keeps its own: a collection that overlaps it on another thread takes its own and never replaces this
    /// one half-way through (a shared one did: one collection reported batches of one snapshot and items of another).
    /// </summary>
    private static T OfThisCollection<T>(ThreadLocal<Taken<T>?> cache, Func<T> take)
        where T : class
    {
        long now = Stopwatch.GetTimestamp();
        Taken<T>? current = cache.Value; // this thread's own: no other thread reads or writes it
        if (current is null || now - current.At > s_reuseTicks)
        {
            current = new Taken<T>(take(), now);
            cache.Value = current;
        }

        return current.Value;
    }

    private sealed record Taken<T>(T Value, long At);
}
