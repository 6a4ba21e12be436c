using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Threading;

namespace BatchStats.Fast;

/// <summary>
/// Publishes an <see cref="IBatchStats"/> as <see cref="System.Diagnostics.Metrics"/> observable instruments, so
/// <c>dotnet-counters</c>, the OpenTelemetry SDK and any <see cref="MeterListener"/> see the numbers with no extra code.
/// </summary>
/// <remarks>
/// <para>Gauges (windowed): <c>batchstats.processing_time.mean|p50|p95|p99</c>, <c>batchstats.latency.p95|p99</c>,
/// <c>batchstats.queue_time.mean</c> (unit <c>s</c>), <c>batchstats.queue_length.mean</c> (<c>{item}</c>: items waiting),
/// <c>batchstats.throughput</c> (<c>{item}/s</c>), <c>batchstats.error_rate</c> (<c>1</c>). Counters (all-time,
/// monotonic): <c>batchstats.batches</c> (<c>{batch}</c>), <c>batchstats.items</c> (<c>{item}</c>),
/// <c>batchstats.errors</c> (<c>{error}</c>), and for an <see cref="IBatchStatsWithHistograms"/>
/// <c>batchstats.processing_time.sum</c> (<c>s</c>: the mean over any interval is its rate divided by the batches'
/// rate). Names follow the OpenTelemetry semantic-convention style.</para>
/// <para>One collection reads one snapshot: the first callback takes <see cref="IBatchStats.GetStats"/> and the
/// callbacks that follow within <see cref="SnapshotReuse"/> (a collection takes microseconds) reuse it.</para>
/// <para>Dispose to stop publishing (the instruments stay on the meter but report nothing).</para>
/// </remarks>
public sealed class BatchStatsInstruments : IDisposable
{
    /// <summary>How long one snapshot serves the callbacks of a collection: 100 ms.</summary>
    public static readonly TimeSpan SnapshotReuse = TimeSpan.FromMilliseconds(100);

    private static readonly long s_reuseTicks = (long)(SnapshotReuse.TotalSeconds * Stopwatch.Frequency);
    private readonly IBatchStats _stats;
    private readonly List<Instrument> _instruments = [];
    private Collection? _collection; // the current collection's snapshot and when it was taken, replaced as one reference
    private int _disposed;

    private BatchStatsInstruments(IBatchStats stats, Meter meter)
    {
        _stats = stats;
        Gauge(meter, "batchstats.processing_time.mean", "s", "Mean processing time per batch over the window.", s => s.AvgProcessingTime);
        Gauge(meter, "batchstats.processing_time.p50", "s", "Median processing time over the window.", s => s.MedianProcessingTime);
        Gauge(meter, "batchstats.processing_time.p95", "s", "95th percentile of processing time over the window.", s => s.P95ProcessingTime);
        Gauge(meter, "batchstats.processing_time.p99", "s", "99th percentile of processing time over the window.", s => s.P99ProcessingTime);
        Gauge(meter, "batchstats.latency.p95", "s", "95th percentile of end-to-end latency over the window.", s => s.P95Latency);
        Gauge(meter, "batchstats.latency.p99", "s", "99th percentile of end-to-end latency over the window.", s => s.P99Latency);
        Gauge(meter, "batchstats.queue_time.mean", "s", "Mean queue time per batch over the window.", s => s.AvgQueueTime);
        Gauge(meter, "batchstats.queue_length.mean", "{item}", "Mean observed queue length (items waiting) over the window.", s => s.AvgQueueLength);
        Gauge(meter, "batchstats.throughput", "{item}/s", "Items per second of processing over the window.", s => s.Throughput);
        Gauge(meter, "batchstats.error_rate", "1", "All-time errors per processed item.", s => s.ErrorRate);
        Counter(meter, "batchstats.batches", "{batch}", "Batches recorded since start.", s => s.BatchCount);
        Counter(meter, "batchstats.items", "{item}", "Items processed since start.", s => s.TotalProcessed);
        Counter(meter, "batchstats.errors", "{error}", "Errors recorded since start.", s => s.TotalErrors);
        if (stats is IBatchStatsWithHistograms withHistograms)
        {
            // All-time processing time, so rate(sum) / rate(batches) gives the mean over any interval. The core
            // tracker sums its rings' totals without building histograms.
            Func<double> sum = stats is LockFreeBatchStats tracker
                ? tracker.ProcessingTimeSum
                : () => withHistograms.GetHistograms().ProcessingTime.Sum;
            _instruments.Add(meter.CreateObservableCounter(
                "batchstats.processing_time.sum",
                () => Volatile.Read(ref _disposed) != 0 ? [] : new[] { new Measurement<double>(sum()) }, // acquire: pairs with the release store in Dispose, so a collection after it reports nothing
                "s",
                "Processing time recorded since start (all-time sum)."));
        }
    }

    /// <summary>The instruments created on the meter.</summary>
    public IReadOnlyList<Instrument> Instruments => _instruments;

    /// <summary>Creates the instruments for <paramref name="stats"/> on <paramref name="meter"/>.</summary>
    /// <param name="stats">The tracker to publish.</param>
    /// <param name="meter">The meter to create the instruments on (its name is what listeners subscribe to).</param>
    /// <returns>The publication; dispose it to stop reporting.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static BatchStatsInstruments Create(IBatchStats stats, Meter meter)
    {
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentNullException.ThrowIfNull(meter);
        return new BatchStatsInstruments(stats, meter);
    }

    /// <summary>Stops reporting.</summary>
    public void Dispose() => Volatile.Write(ref _disposed, 1); // release: later callbacks see it and report nothing

    private void Gauge(Meter meter, string name, string unit, string description, Func<BatchStatsSnapshot, double> figure) =>
        _instruments.Add(meter.CreateObservableGauge(name, () => Observe(figure), unit, description));

    private void Counter(Meter meter, string name, string unit, string description, Func<BatchStatsSnapshot, long> figure) =>
        _instruments.Add(meter.CreateObservableCounter(name, () => Observe(figure), unit, description));

    private IEnumerable<Measurement<T>> Observe<T>(Func<BatchStatsSnapshot, T> figure)
        where T : struct
    {
        if (Volatile.Read(ref _disposed) != 0) // acquire: pairs with Dispose's store, so no collection reads after it
        {
            return [];
        }

        return [new Measurement<T>(figure(CollectionSnapshot()))];
    }

    /// <summary>
    /// The snapshot of the current collection: one reference holds the snapshot with its time, so overlapping
    /// collections each see a whole pair; the tracker's snapshots never show a counter fall, whichever one wins.
    /// </summary>
    private BatchStatsSnapshot CollectionSnapshot()
    {
        long now = Stopwatch.GetTimestamp();
        Collection? current = Volatile.Read(ref _collection); // acquire: a published collection is complete
        if (current is null || now - current.TakenAt > s_reuseTicks)
        {
            current = new Collection(_stats.GetStats(), now);
            Volatile.Write(ref _collection, current); // release: the pair is built before another collection can read it
        }

        return current.Snapshot;
    }

    private sealed record Collection(BatchStatsSnapshot Snapshot, long TakenAt);
}
