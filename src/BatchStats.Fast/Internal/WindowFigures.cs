using System;
using BatchStats.Fast.Internal.Kernels;
using CommunityToolkit.HighPerformance.Buffers;

namespace BatchStats.Fast.Internal;

/// <summary>Everything one snapshot computation produces besides the public figures.</summary>
internal readonly record struct SnapshotFigures(BatchStatsSnapshot Snapshot, long OldestTimestamp, double Throughput);

/// <summary>The integer figures of a window: exact sums and extremes, and its oldest timestamp.</summary>
internal readonly record struct IntegerFigures(long BatchSum, long QueueLengthSum, int MinBatch, int MaxBatch, int MaxQueueLength, long Oldest);

/// <summary>
/// The figures of a window: the fused SIMD pass for sums, minima and maxima (ring segment by ring segment, the
/// order the incremental reader keeps too), one multi-percentile selection per series, the exact integer figures,
/// and the snapshot built from them (shared by the full and the incremental reader).
/// </summary>
internal static class WindowFigures
{
    /// <summary>The percentiles every series reports: median, p95, p99.</summary>
    internal static ReadOnlySpan<double> SeriesPercentiles => [50.0, 95.0, 99.0];

    /// <summary>The figures of a gathered window.</summary>
    public static SnapshotFigures Compute(in GatheredWindow gathered, ReaderPools pools, double peakSoFar)
    {
        ReadOnlySpan<Slot> window = gathered.Window;
        if (window.IsEmpty)
        {
            return new SnapshotFigures(EmptySnapshot(peakSoFar, gathered.Totals), long.MaxValue, 0);
        }

        int n = window.Length;
        using SpanOwner<double> columnsOwner = SpanOwner<double>.Allocate(3 * n, pools.Doubles, AllocationMode.Default);
        Span<double> processing = columnsOwner.Span[..n];
        Span<double> queue = columnsOwner.Span.Slice(n, n);
        Span<double> latency = columnsOwner.Span.Slice(2 * n, n);

        // One scalar pass splits the structs into columns and does the integer figures exactly (long sums).
        long batchSum = 0, queueLengthSum = 0, oldest = long.MaxValue;
        int minBatch = int.MaxValue, maxBatch = int.MinValue, maxQueueLength = int.MinValue;
        for (int i = 0; i < window.Length; i++)
        {
            ref readonly Slot s = ref window[i];
            // "+ 0.0" turns -0.0 into +0.0 (and changes nothing else), so every kernel path agrees bit for bit.
            processing[i] = s.ProcessingTime + 0.0;
            queue[i] = s.QueueTime + 0.0;
            latency[i] = s.Latency + 0.0;
            batchSum += s.BatchSize;
            queueLengthSum += s.QueueLength;
            minBatch = Math.Min(minBatch, s.BatchSize);
            maxBatch = Math.Max(maxBatch, s.BatchSize);
            maxQueueLength = Math.Max(maxQueueLength, s.QueueLength);
            oldest = Math.Min(oldest, s.Timestamp);
        }

        var ints = new IntegerFigures(batchSum, queueLengthSum, minBatch, maxBatch, maxQueueLength, oldest);

        // Sums run ring segment by ring segment (the incremental reader keeps the same segments): same bits either way.
        var pt = default(FusedAggregate.Accumulator);
        var qt = default(FusedAggregate.Accumulator);
        var lat = default(FusedAggregate.Accumulator);
        for (int r = 0, start = 0; r < gathered.SegmentEnds.Length; start = gathered.SegmentEnds[r], r++)
        {
            int end = gathered.SegmentEnds[r];
            pt.Add(processing[start..end]);
            qt.Add(queue[start..end]);
            lat.Add(latency[start..end]);
        }

        Aggregate ptAggregate = pt.Result, latAggregate = lat.Result;
        Span<double> ptPercentiles = stackalloc double[3];
        Span<double> latPercentiles = stackalloc double[3];
        Percentiles.Compute(processing, SeriesPercentiles, ptPercentiles, ptAggregate.Min, ptAggregate.Max, pools.Doubles, pools.Ints);
        Percentiles.Compute(latency, SeriesPercentiles, latPercentiles, latAggregate.Min, latAggregate.Max, pools.Doubles, pools.Ints);

        return BuildFigures(n, ptAggregate, qt.Result, latAggregate, ints, ptPercentiles, latPercentiles, peakSoFar, gathered.Totals);
    }

    /// <summary>The snapshot of an empty window: only the all-time counters.</summary>
    internal static BatchStatsSnapshot EmptySnapshot(double peakSoFar, RingCounters totals) => new()
    {
        PeakThroughput = peakSoFar,
        ErrorRate = ErrorRate(totals),
        TotalErrors = totals.Errors,
        TotalProcessed = totals.TotalProcessed,
        BatchCount = totals.BatchCount,
        RejectedSamples = totals.Rejected,
    };

    /// <summary>Every figure of a non-empty window from its parts (shared by the full and the incremental reader).</summary>
    internal static SnapshotFigures BuildFigures(
        int n, Aggregate pt, Aggregate qt, Aggregate lat, IntegerFigures ints, ReadOnlySpan<double> ptPercentiles, ReadOnlySpan<double> latPercentiles, double peakSoFar, RingCounters totals)
    {
        double throughput = pt.Sum > 0 ? ints.BatchSum / pt.Sum : 0;
        var snapshot = new BatchStatsSnapshot
        {
            AvgProcessingTime = pt.Sum / n,
            MedianProcessingTime = ptPercentiles[0],
            P95ProcessingTime = ptPercentiles[1],
            P99ProcessingTime = ptPercentiles[2],
            MinProcessingTime = pt.Min,
            MaxProcessingTime = pt.Max,
            AvgBatchSize = (double)ints.BatchSum / n,
            MinBatchSize = ints.MinBatch,
            MaxBatchSize = ints.MaxBatch,
            AvgQueueTime = qt.Sum / n,
            AvgLatency = lat.Sum / n,
            MedianLatency = latPercentiles[0],
            P95Latency = latPercentiles[1],
            P99Latency = latPercentiles[2],
            AvgQueueLength = (double)ints.QueueLengthSum / n,
            MaxQueueLength = ints.MaxQueueLength,
            Throughput = throughput,
            PeakThroughput = Math.Max(peakSoFar, throughput),
            ErrorRate = ErrorRate(totals),
            TotalErrors = totals.Errors,
            TotalProcessed = totals.TotalProcessed,
            BatchCount = totals.BatchCount,
            WindowCount = n,
            RejectedSamples = totals.Rejected,
        };
        return new SnapshotFigures(snapshot, ints.Oldest, throughput);
    }

    private static double ErrorRate(RingCounters totals) => (double)totals.Errors / Math.Max(1, totals.TotalProcessed);
}
