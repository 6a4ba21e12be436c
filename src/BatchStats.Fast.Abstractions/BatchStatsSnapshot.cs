using System.Collections.Generic;
using System.Linq;

namespace BatchStats.Fast;

/// <summary>
/// An immutable set of rolling statistics, as returned by <see cref="IBatchStats.GetStats"/>.
/// </summary>
/// <remarks>
/// <para>Times are in seconds. "Window" figures cover the most recent <see cref="BatchStatsOptions.WindowSize"/>
/// samples (in timestamp order, across all writer threads); "all-time" figures are never reset by the window.
/// Every figure of an empty window is 0.</para>
/// <para>Percentiles match <c>numpy.percentile(x, p)</c> with its default <c>linear</c> method bit for bit:
/// with <c>x</c> sorted ascending, <c>h = (n - 1) * (p / 100.0)</c>, <c>i = floor(h)</c>, <c>g = h - i</c>,
/// <c>a = x[i]</c>, <c>b = x[min(i + 1, n - 1)]</c>, <c>d = b - a</c>; the result is <c>a + d * g</c> when
/// <c>g &lt; 0.5</c>, else <c>b - d * (1 - g)</c>. The median is p50 by this formula.</para>
/// <para>Means are within 1e-12 relative of the exactly rounded mean (the summation order is blocked and
/// vectorized, not sequential).</para>
/// <para>Instances are safe to share between threads.</para>
/// </remarks>
public sealed class BatchStatsSnapshot
{
    /// <summary>A snapshot of nothing recorded: every figure is 0.</summary>
    public static BatchStatsSnapshot Empty { get; } = new();

    /// <summary>Window mean of processing time, seconds. Key <c>avg_processing_time</c>.</summary>
    public double AvgProcessingTime { get; init; }

    /// <summary>Window median (p50) of processing time, seconds. Key <c>median_processing_time</c>.</summary>
    public double MedianProcessingTime { get; init; }

    /// <summary>Window 95th percentile of processing time, seconds. Key <c>p95_processing_time</c>.</summary>
    public double P95ProcessingTime { get; init; }

    /// <summary>Window 99th percentile of processing time, seconds. Key <c>p99_processing_time</c>.</summary>
    public double P99ProcessingTime { get; init; }

    /// <summary>Window minimum of processing time, seconds. Key <c>min_processing_time</c>.</summary>
    public double MinProcessingTime { get; init; }

    /// <summary>Window maximum of processing time, seconds. Key <c>max_processing_time</c>.</summary>
    public double MaxProcessingTime { get; init; }

    /// <summary>Window mean batch size. Key <c>avg_batch_size</c>.</summary>
    public double AvgBatchSize { get; init; }

    /// <summary>Window minimum batch size. Key <c>min_batch_size</c>.</summary>
    public int MinBatchSize { get; init; }

    /// <summary>Window maximum batch size. Key <c>max_batch_size</c>.</summary>
    public int MaxBatchSize { get; init; }

    /// <summary>Window mean queue time, seconds. Key <c>avg_queue_time</c>.</summary>
    public double AvgQueueTime { get; init; }

    /// <summary>Window mean latency, seconds. Key <c>avg_latency</c>.</summary>
    public double AvgLatency { get; init; }

    /// <summary>Window median (p50) of latency, seconds. Key <c>median_latency</c>.</summary>
    public double MedianLatency { get; init; }

    /// <summary>Window 95th percentile of latency, seconds. Key <c>p95_latency</c>.</summary>
    public double P95Latency { get; init; }

    /// <summary>Window 99th percentile of latency, seconds. Key <c>p99_latency</c>.</summary>
    public double P99Latency { get; init; }

    /// <summary>Window mean queue length. Key <c>avg_queue_length</c>.</summary>
    public double AvgQueueLength { get; init; }

    /// <summary>Window maximum queue length. Key <c>max_queue_length</c>.</summary>
    public int MaxQueueLength { get; init; }

    /// <summary>
    /// Items per second of processing over the window: the window's sum of batch sizes divided by its sum of
    /// processing times; 0 when that sum is 0. Key <c>throughput</c>.
    /// </summary>
    public double Throughput { get; init; }

    /// <summary>The highest <see cref="Throughput"/> any snapshot of the same tracker has reported. Key <c>peak_throughput</c>.</summary>
    public double PeakThroughput { get; init; }

    /// <summary><see cref="TotalErrors"/> / max(1, <see cref="TotalProcessed"/>). Key <c>error_rate</c>.</summary>
    public double ErrorRate { get; init; }

    /// <summary>All-time sum of error counts. Key <c>total_errors</c>.</summary>
    public long TotalErrors { get; init; }

    /// <summary>All-time sum of batch sizes. Key <c>total_processed</c>.</summary>
    public long TotalProcessed { get; init; }

    /// <summary>All-time number of recorded batches. Key <c>batch_count</c>.</summary>
    public long BatchCount { get; init; }

    /// <summary>Number of samples in the window. Key <c>window_count</c>.</summary>
    public int WindowCount { get; init; }

    /// <summary>
    /// All-time number of bad samples (and bad <c>RecordError</c> calls) dropped under
    /// <see cref="InvalidSamplePolicy.Drop"/>. Key <c>rejected_samples</c>.
    /// </summary>
    public long RejectedSamples { get; init; }

    /// <summary>The tracker's change detector when this snapshot's window was read (cache bookkeeping).</summary>
    internal long Version { get; set; }

    /// <summary>Clock ticks when this snapshot was computed (cache bookkeeping).</summary>
    internal long ComputedAt { get; set; }

    /// <summary>The oldest timestamp in the window, <see cref="long.MaxValue"/> when empty (cache bookkeeping).</summary>
    internal long OldestTimestamp { get; set; }

    /// <summary>The cache generation it was published in (cache bookkeeping).</summary>
    internal int Epoch { get; set; }

    /// <summary>
    /// Returns every figure under its snake_case key (times in seconds): <c>avg_processing_time</c>,
    /// <c>median_processing_time</c>, <c>p95_processing_time</c>, <c>p99_processing_time</c>,
    /// <c>min_processing_time</c>, <c>max_processing_time</c>, <c>avg_batch_size</c>, <c>min_batch_size</c>,
    /// <c>max_batch_size</c>, <c>avg_queue_time</c>, <c>avg_latency</c>, <c>median_latency</c>, <c>p95_latency</c>, <c>p99_latency</c>,
    /// <c>avg_queue_length</c>, <c>max_queue_length</c>, <c>throughput</c>, <c>peak_throughput</c>,
    /// <c>error_rate</c>, <c>total_errors</c>, <c>total_processed</c>, <c>batch_count</c>, <c>window_count</c>,
    /// <c>rejected_samples</c>.
    /// </summary>
    /// <returns>A new dictionary, in the order above.</returns>
    public IReadOnlyDictionary<string, double> ToDictionary() => new Dictionary<string, double>(24)
    {
        ["avg_processing_time"] = AvgProcessingTime,
        ["median_processing_time"] = MedianProcessingTime,
        ["p95_processing_time"] = P95ProcessingTime,
        ["p99_processing_time"] = P99ProcessingTime,
        ["min_processing_time"] = MinProcessingTime,
        ["max_processing_time"] = MaxProcessingTime,
        ["avg_batch_size"] = AvgBatchSize,
        ["min_batch_size"] = MinBatchSize,
        ["max_batch_size"] = MaxBatchSize,
        ["avg_queue_time"] = AvgQueueTime,
        ["avg_latency"] = AvgLatency,
        ["median_latency"] = MedianLatency,
        ["p95_latency"] = P95Latency,
        ["p99_latency"] = P99Latency,
        ["avg_queue_length"] = AvgQueueLength,
        ["max_queue_length"] = MaxQueueLength,
        ["throughput"] = Throughput,
        ["peak_throughput"] = PeakThroughput,
        ["error_rate"] = ErrorRate,
        ["total_errors"] = TotalErrors,
        ["total_processed"] = TotalProcessed,
        ["batch_count"] = BatchCount,
        ["window_count"] = WindowCount,
        ["rejected_samples"] = RejectedSamples,
    };

    /// <summary>
    /// Every figure as <see cref="ToDictionary"/> has it, in its order, written as the Python module's dict prints:
    /// <c>{'avg_processing_time': 0.0125, 'median_processing_time': 0.0, …, 'rejected_samples': 0}</c>. Counts and
    /// sizes (the <see langword="int"/> and <see langword="long"/> properties) are Python ints; the other figures are
    /// Python floats as <c>repr</c> writes them (shortest round-trip digits, <c>0.0</c>, <c>5e-05</c>).
    /// </summary>
    /// <returns>One line with every key and value.</returns>
    public override string ToString() =>
        PythonLiteral.Of(ToDictionary().Select(p => new KeyValuePair<string, object>(p.Key, Count(p.Key) ?? (object)p.Value)));

    /// <summary>The exact integer behind a key of <see cref="ToDictionary"/> that Python holds as an int; null for a float.</summary>
    private long? Count(string key) => key switch
    {
        "min_batch_size" => MinBatchSize,
        "max_batch_size" => MaxBatchSize,
        "max_queue_length" => MaxQueueLength,
        "total_errors" => TotalErrors,
        "total_processed" => TotalProcessed,
        "batch_count" => BatchCount,
        "window_count" => WindowCount,
        "rejected_samples" => RejectedSamples,
        _ => null,
    };
}
