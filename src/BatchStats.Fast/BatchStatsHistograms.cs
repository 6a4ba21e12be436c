using System;

namespace BatchStats.Fast;

/// <summary>
/// The all-time distributions of a tracker (<see cref="LockFreeBatchStats.GetHistograms"/>): every value recorded
/// since the tracker was created, in exponential buckets, mergeable across trackers and processes.
/// </summary>
/// <remarks>Instances are immutable and safe to share between threads.</remarks>
public sealed class BatchStatsHistograms
{
    /// <summary>Creates the set.</summary>
    /// <param name="processingTime">Processing time per batch, seconds.</param>
    /// <param name="queueTime">Queue time per batch, seconds.</param>
    /// <param name="latency">End-to-end latency per batch, seconds.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public BatchStatsHistograms(ExponentialHistogram processingTime, ExponentialHistogram queueTime, ExponentialHistogram latency)
    {
        ArgumentNullException.ThrowIfNull(processingTime);
        ArgumentNullException.ThrowIfNull(queueTime);
        ArgumentNullException.ThrowIfNull(latency);
        ProcessingTime = processingTime;
        QueueTime = queueTime;
        Latency = latency;
    }

    /// <summary>Processing time per batch, seconds.</summary>
    public ExponentialHistogram ProcessingTime { get; }

    /// <summary>Queue time per batch, seconds.</summary>
    public ExponentialHistogram QueueTime { get; }

    /// <summary>End-to-end latency per batch, seconds.</summary>
    public ExponentialHistogram Latency { get; }

    /// <summary>Merges two sets series by series (<see cref="ExponentialHistogram.Merge"/>).</summary>
    /// <param name="a">A set.</param>
    /// <param name="b">Another set.</param>
    /// <returns>The distributions of both.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="OverflowException">A merged series counts more than <see cref="long.MaxValue"/> values.</exception>
    public static BatchStatsHistograms Merge(BatchStatsHistograms a, BatchStatsHistograms b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return new(
            ExponentialHistogram.Merge(a.ProcessingTime, b.ProcessingTime),
            ExponentialHistogram.Merge(a.QueueTime, b.QueueTime),
            ExponentialHistogram.Merge(a.Latency, b.Latency));
    }

    /// <summary>The three series' parts, for logs and the debugger (<see cref="ExponentialHistogram.ToString"/> each).</summary>
    /// <returns>One line.</returns>
    public override string ToString() => $"BatchStatsHistograms {{ ProcessingTime = {ProcessingTime}, QueueTime = {QueueTime}, Latency = {Latency} }}";
}
