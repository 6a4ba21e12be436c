using System;
using System.Threading;

namespace BatchStats.Fast.Internal;

/// <summary>
/// The tracker's last published snapshot, and the guarantee that all-time counters never appear to fall: every
/// snapshot a reader returns has been published here, and each publication carries counters at least those of the
/// one it replaces.
/// </summary>
/// <remarks>
/// Design (reasoning in docs/design.md, "Snapshot cache"): one reference, replaced by compare-exchange. A reader that
/// computed a snapshot publishes it before returning it; if the published one has a higher counter (another reader
/// read a ring later), the reader returns a copy whose counters are the maxima of both, and publishes that. So a
/// later reader, on any thread, is served or computes counters at least as high. The cache bookkeeping (version,
/// time, oldest timestamp, generation) lives on the snapshot itself, so a recompute allocates only its snapshot.
/// <see cref="Invalidate"/> starts a new generation: older snapshots are no longer served, but still bound the
/// counters of the next one. The peak throughput is a separate high-water mark raised by compare-exchange.
/// </remarks>
internal sealed class SnapshotCache
{
    private BatchStatsSnapshot? _published;
    private int _epoch;
    private long _peakBits; // double bits; only grows

    /// <summary>The snapshot to serve, or null when none was published in the current generation.</summary>
    public BatchStatsSnapshot? Current
    {
        get
        {
            BatchStatsSnapshot? s = Volatile.Read(ref _published); // acquire: a published snapshot is fully built
            return s is not null && s.Epoch == Volatile.Read(ref _epoch) ? s : null; // acquire: an Invalidate before this read is seen
        }
    }

    /// <summary>Test hook: runs after <see cref="RaisePeak"/> read the peak and before its compare-exchange (null in production).</summary>
    internal Action? BeforePeakExchange { get; set; }

    /// <summary>The highest throughput any snapshot reported so far.</summary>
    public double Peak => BitConverter.Int64BitsToDouble(Volatile.Read(ref _peakBits)); // acquire: raised by other readers' CAS

    /// <summary>Stops serving the current snapshot (the next read recomputes).</summary>
    public void Invalidate() => Interlocked.Increment(ref _epoch); // full fence: readers after it see the new generation

    /// <summary>Raises the peak throughput to <paramref name="throughput"/> if it is higher.</summary>
    public void RaisePeak(double throughput)
    {
        long current = Volatile.Read(ref _peakBits); // acquire: the CAS below starts from the published peak
        while (throughput > BitConverter.Int64BitsToDouble(current))
        {
            BeforePeakExchange?.Invoke();
            long seen = Interlocked.CompareExchange(ref _peakBits, BitConverter.DoubleToInt64Bits(throughput), current); // full fence: racing readers agree on one maximum
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    /// <summary>
    /// Publishes a freshly computed snapshot (its bookkeeping set, not yet shared) and returns what the reader must
    /// return: the snapshot itself, or a copy with counters raised to the published ones.
    /// </summary>
    public BatchStatsSnapshot Publish(BatchStatsSnapshot computed)
    {
        BatchStatsSnapshot? published = Volatile.Read(ref _published); // acquire: its counters are complete, to compare with
        while (true)
        {
            BatchStatsSnapshot candidate = published is null || Dominates(computed, published) ? computed : RaiseCounters(computed, published);
            candidate.Epoch = Volatile.Read(ref _epoch); // acquire; a plain store: the candidate is not shared yet
            BatchStatsSnapshot? seen = Interlocked.CompareExchange(ref _published, candidate, published); // full fence: the candidate's stores precede any acquire load that finds it
            if (ReferenceEquals(seen, published))
            {
                return candidate;
            }

            published = seen;
        }
    }

    private static bool Dominates(BatchStatsSnapshot a, BatchStatsSnapshot b) =>
        a.BatchCount >= b.BatchCount && a.TotalProcessed >= b.TotalProcessed && a.TotalErrors >= b.TotalErrors
        && a.RejectedSamples >= b.RejectedSamples && a.PeakThroughput >= b.PeakThroughput;

    /// <summary>A copy of <paramref name="s"/> whose all-time counters are at least those of <paramref name="floor"/>.</summary>
    private static BatchStatsSnapshot RaiseCounters(BatchStatsSnapshot s, BatchStatsSnapshot floor)
    {
        long errors = Math.Max(s.TotalErrors, floor.TotalErrors);
        long processed = Math.Max(s.TotalProcessed, floor.TotalProcessed);
        return new BatchStatsSnapshot
        {
            AvgProcessingTime = s.AvgProcessingTime,
            MedianProcessingTime = s.MedianProcessingTime,
            P95ProcessingTime = s.P95ProcessingTime,
            P99ProcessingTime = s.P99ProcessingTime,
            MinProcessingTime = s.MinProcessingTime,
            MaxProcessingTime = s.MaxProcessingTime,
            AvgBatchSize = s.AvgBatchSize,
            MinBatchSize = s.MinBatchSize,
            MaxBatchSize = s.MaxBatchSize,
            AvgQueueTime = s.AvgQueueTime,
            AvgLatency = s.AvgLatency,
            MedianLatency = s.MedianLatency,
            P95Latency = s.P95Latency,
            P99Latency = s.P99Latency,
            AvgQueueLength = s.AvgQueueLength,
            MaxQueueLength = s.MaxQueueLength,
            Throughput = s.Throughput,
            PeakThroughput = Math.Max(s.PeakThroughput, floor.PeakThroughput),
            ErrorRate = (double)errors / Math.Max(1, processed),
            TotalErrors = errors,
            TotalProcessed = processed,
            BatchCount = Math.Max(s.BatchCount, floor.BatchCount),
            WindowCount = s.WindowCount,
            RejectedSamples = Math.Max(s.RejectedSamples, floor.RejectedSamples),
            Version = s.Version,
            ComputedAt = s.ComputedAt,
            OldestTimestamp = s.OldestTimestamp,
        };
    }
}
