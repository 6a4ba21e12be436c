using System;
using System.Collections.Generic;
using System.Globalization;
using BatchStats.Fast.Internal.Kernels;
using CommunityToolkit.HighPerformance.Buffers;

namespace BatchStats.Fast.Internal;

/// <summary>
/// <c>GetComprehensiveStats</c>: the snapshot figures and the analysis scores from one gathered window (formulas
/// documented on <see cref="BatchStatsAnalysis"/>). Off the record path; never blocks a writer.
/// </summary>
internal static class WindowAnalysis
{
    private const double TailFactor = 3.0;
    private const double ErrorRateLimit = 0.01;
    private const double SaturationLimit = 0.9;
    private const int ScaledFrom = 480; // times from 2^480 s on are scaled: n ≤ 2^24 squares below 2^960 sum to below 2^984, finite

    private static ReadOnlySpan<double> Quartiles => [25.0, 50.0, 75.0];

    public static (BatchStatsAnalysis Analysis, SnapshotFigures Figures) Compute(in ReadContext context, double ticksPerSecond)
    {
        (WriterRing[] rings, ReaderPools pools) = (context.Rings, context.Pools);
        using GatheredWindow gathered = GatheredWindow.Gather(context);
        ReadOnlySpan<Slot> window = gathered.Window;
        int n = window.Length, writers = gathered.ActiveWriters;
        SnapshotFigures figures = WindowFigures.Compute(gathered, pools, context.PeakSoFar);
        BatchStatsSnapshot s = figures.Snapshot;
        if (n == 0)
        {
            // Every windowed score keeps its empty value; the errors rule reads the all-time error rate, so it still applies.
            return (new BatchStatsAnalysis { Snapshot = s, Bottlenecks = Bottlenecks(s, utilization: 0) }, figures);
        }

        // Split the window at its median (timestamp, position) key: the older half is everything before it.
        using SpanOwner<SelectionKey> keysOwner = SpanOwner<SelectionKey>.Allocate(n, pools.Keys, AllocationMode.Default);
        Span<SelectionKey> keys = keysOwner.Span;
        long oldest = long.MaxValue, newest = long.MinValue;
        double oldestProcessing = 0, longest = 0;
        for (int i = 0; i < n; i++)
        {
            keys[i] = new SelectionKey(window[i].Timestamp, i);
            longest = Math.Max(longest, Math.Max(window[i].ProcessingTime, Math.Max(window[i].QueueTime, window[i].Latency)));
            if (window[i].Timestamp < oldest)
            {
                oldest = window[i].Timestamp;
                oldestProcessing = window[i].ProcessingTime;
            }

            newest = Math.Max(newest, window[i].Timestamp);
        }

        Span<SelectionKey> split = stackalloc SelectionKey[1];
        SampleSelect.Select<SelectionKey, SelectionKeyAscending>(keys, [n / 2], split, pools.Keys);

        // The scores are ratios of times, so they are the same on times scaled by a power of two (exactly, above the
        // subnormals). A window whose longest time is 2^480 s or more is scaled so that it is below 2, or the sums and
        // squares could overflow to infinity and the ratios read NaN; otherwise scale is 1 and nothing changes.
        double scale = longest < Math.ScaleB(1.0, ScaledFrom) ? 1 : Math.ScaleB(1.0, -Math.ILogB(longest));
        double mean = scale == 1 ? s.AvgProcessingTime : ScaledMean(window, scale), squares = 0, processing = 0, endToEnd = 0;
        HalfSums older = default, newer = default;
        using SpanOwner<double> batchOwner = SpanOwner<double>.Allocate(n, pools.Doubles, AllocationMode.Default);
        Span<double> batchSizes = batchOwner.Span;
        for (int i = 0; i < n; i++)
        {
            ref readonly Slot x = ref window[i];
            double pt = x.ProcessingTime * scale, qt = x.QueueTime * scale, lat = x.Latency * scale;
            squares += (pt - mean) * (pt - mean);
            processing += pt;
            endToEnd += x.Latency > 0 ? Math.Max(lat, pt) : pt + qt; // whether a latency was recorded: asked of the unscaled value, which scaling cannot round to 0
            batchSizes[i] = x.BatchSize;
            ref HalfSums half = ref SelectionKeyAscending.Less(new SelectionKey(x.Timestamp, i), split[0]) ? ref older : ref newer;
            half.Count++;
            half.Processing += pt;
            half.Items += x.BatchSize;
        }

        // When the window still holds every sample ever recorded, errors before the first sample count too (older half).
        PlaceErrors(rings, s.BatchCount == n ? long.MinValue : oldest, split[0].Timestamp, ref older, ref newer);

        Span<double> quartiles = stackalloc double[3];
        Percentiles.Compute(batchSizes, Quartiles, quartiles, s.MinBatchSize, s.MaxBatchSize, pools.Doubles, pools.Ints);

        double stdDev = Math.Sqrt(squares / n);
        double wall = (((newest - oldest) / ticksPerSecond) * scale) + (oldestProcessing * scale); // timestamps mark completion; scaled as the times
        double utilization = wall > 0 ? Math.Clamp(processing / (wall * Math.Max(1, writers)), 0, 1) : (processing > 0 ? 1 : 0);
        double arrivalRate = wall > 0 ? n / wall : 0;
        double needed = arrivalRate * mean / BatchStatsAnalysis.TargetUtilization;
        var analysis = new BatchStatsAnalysis
        {
            Snapshot = s,
            EfficiencyScore = endToEnd > 0 ? Math.Clamp(processing / endToEnd, 0, 1) : 0,
            StabilityIndex = mean > 0 ? 1 / (1 + (stdDev / mean)) : 1,
            LoadDistribution = new LoadDistribution(s.MinBatchSize, quartiles[0], quartiles[1], quartiles[2], s.MaxBatchSize),
            PerformanceTrend = n < BatchStatsAnalysis.MinTrendSamples ? TrendDirection.Stable : Compare(older.MeanProcessing, newer.MeanProcessing, higherIsBetter: false, floor: 0),
            ThroughputTrend = n < BatchStatsAnalysis.MinTrendSamples ? TrendDirection.Stable : Compare(older.Throughput, newer.Throughput, higherIsBetter: true, floor: 0),
            ErrorTrend = n < BatchStatsAnalysis.MinTrendSamples ? TrendDirection.Stable : Compare(older.ErrorRate, newer.ErrorRate, higherIsBetter: false, floor: BatchStatsAnalysis.ErrorTrendFloor),
            Utilization = utilization,
            RecommendedCapacity = (int)Math.Min(int.MaxValue, Math.Ceiling(needed)),
            Bottlenecks = Bottlenecks(s, utilization),
        };
        return (analysis, figures);
    }

    /// <summary>The mean processing time of the scaled times (the snapshot's mean may have overflowed).</summary>
    private static double ScaledMean(ReadOnlySpan<Slot> window, double scale)
    {
        double sum = 0;
        foreach (ref readonly Slot x in window)
        {
            sum += x.ProcessingTime * scale;
        }

        return sum / window.Length;
    }

    /// <summary>Adds each ring's error events from <paramref name="windowStart"/> on to the half their timestamp falls in.</summary>
    private static void PlaceErrors(WriterRing[] rings, long windowStart, long splitStamp, ref HalfSums older, ref HalfSums newer)
    {
        Span<ErrorEvent> events = stackalloc ErrorEvent[WriterRing.ErrorEventCapacity];
        foreach (WriterRing ring in rings)
        {
            int copied = ring.CopyErrorEvents(events);
            foreach (ErrorEvent e in events[..copied])
            {
                if (e.Timestamp >= windowStart)
                {
                    (e.Timestamp < splitStamp ? ref older.Errors : ref newer.Errors) += e.Count;
                }
            }
        }
    }

    /// <summary>Newer vs older by <see cref="BatchStatsAnalysis.TrendThreshold"/> relative (and <paramref name="floor"/> absolute).</summary>
    private static TrendDirection Compare(double older, double newer, bool higherIsBetter, double floor)
    {
        double change = newer - older;
        if (Math.Abs(change) <= floor || Math.Abs(change) <= BatchStatsAnalysis.TrendThreshold * Math.Abs(older))
        {
            return TrendDirection.Stable;
        }

        return (change > 0) == higherIsBetter ? TrendDirection.Improving : TrendDirection.Degrading;
    }

    private static List<BatchStatsBottleneck> Bottlenecks(BatchStatsSnapshot s, double utilization)
    {
        var found = new List<BatchStatsBottleneck>();
        if (s.AvgQueueTime > s.AvgProcessingTime)
        {
            found.Add(new("queueing", s.AvgQueueTime, s.AvgProcessingTime, string.Create(CultureInfo.InvariantCulture, $"Batches wait longer in the queue ({s.AvgQueueTime:G3} s) than they take to process ({s.AvgProcessingTime:G3} s): add workers or shrink batches.")));
        }

        if (s.P99ProcessingTime > TailFactor * s.MedianProcessingTime && s.MedianProcessingTime > 0)
        {
            found.Add(new("processing_tail", s.P99ProcessingTime, TailFactor * s.MedianProcessingTime, string.Create(CultureInfo.InvariantCulture, $"p99 processing time ({s.P99ProcessingTime:G3} s) exceeds {TailFactor} x the median ({s.MedianProcessingTime:G3} s).")));
        }

        if (s.ErrorRate > ErrorRateLimit)
        {
            found.Add(new("errors", s.ErrorRate, ErrorRateLimit, string.Create(CultureInfo.InvariantCulture, $"Error rate {s.ErrorRate:P2} exceeds {ErrorRateLimit:P0}.")));
        }

        if (utilization > SaturationLimit)
        {
            found.Add(new("saturation", utilization, SaturationLimit, string.Create(CultureInfo.InvariantCulture, $"Workers are busy {utilization:P0} of the time (above {SaturationLimit:P0}).")));
        }

        return found;
    }

    /// <summary>Accumulators for one half of the window.</summary>
    /// <remarks>Mutable struct: do not make readonly.</remarks>
    private struct HalfSums
    {
        public int Count;
        public double Processing;
        public long Items;
        public long Errors;

        public readonly double MeanProcessing => Count > 0 ? Processing / Count : 0;

        public readonly double Throughput => Processing > 0 ? Items / Processing : 0;

        public readonly double ErrorRate => (double)Errors / Math.Max(1, Items);
    }
}
