using System;
using BatchStats.Fast.Internal.Kernels;
using CommunityToolkit.HighPerformance.Buffers;

namespace BatchStats.Fast.Internal;

/// <summary>
/// The read path: merges every ring's recent samples into pooled spans, forms the window, and computes the figures
/// with the fused SIMD kernel and one multi-percentile selection per series. Never writes to a ring.
/// </summary>
internal static class SnapshotReader
{
    /// <summary>The snapshot figures of the window, merged from every ring.</summary>
    /// <param name="context">The read's rings, window, age limit, peak and pools.</param>
    /// <param name="seed">When not null, receives the window so that later reads can advance it incrementally.</param>
    public static SnapshotFigures Compute(in ReadContext context, IncrementalWindow? seed = null)
    {
        using GatheredWindow gathered = GatheredWindow.Gather(context);
        return seed is not null && seed.TrySeed(context.Rings, gathered, context.OldestAllowed)
            ? seed.Figures(context.PeakSoFar, gathered.Totals, context.Pools)
            : WindowFigures.Compute(gathered, context.Pools, context.PeakSoFar);
    }

    /// <summary>
    /// Copies the window's samples into <paramref name="destination"/> in timestamp order, newest last; when the
    /// window holds more than fits, the newest ones.
    /// </summary>
    /// <returns>The number of samples written.</returns>
    public static int CopyRecent(in ReadContext context, Span<BatchSample> destination)
    {
        using GatheredWindow gathered = GatheredWindow.Gather(context);
        return CopySorted(gathered.Window, context.Pools, destination);
    }

    private static int CopySorted(ReadOnlySpan<Slot> window, ReaderPools pools, Span<BatchSample> destination)
    {
        int n = window.Length;
        using SpanOwner<SelectionKey> keysOwner = SpanOwner<SelectionKey>.Allocate(n, pools.Keys, AllocationMode.Default);
        Span<SelectionKey> keys = keysOwner.Span;
        for (int i = 0; i < n; i++)
        {
            keys[i] = new SelectionKey(window[i].Timestamp, i);
        }

        keys.Sort(default(SelectionKeyAscending)); // off the read path of GetStats: exporters only
        int count = Math.Min(n, destination.Length);
        for (int i = 0; i < count; i++)
        {
            ref readonly Slot s = ref window[keys[n - count + i].Position];
            destination[i] = new BatchSample(s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength, s.Timestamp);
        }

        return count;
    }

    /// <summary>
    /// The timestamp below which no sample can be in the window now or later: the oldest timestamp of a full window
    /// (adding samples never lowers the window's W-th newest timestamp), or the age limit when the window is not full.
    /// </summary>
    /// <remarks>
    /// Each ring's samples from before its current owner took it are skipped: they were all below the cutoff then,
    /// and the cutoff only rises, so they cannot change it. Only the registrar calls this (off the read path).
    /// </remarks>
    public static long WindowCutoff(in ReadContext context)
    {
        using GatheredWindow gathered = GatheredWindow.Gather(context, sinceAdoption: true);
        if (gathered.Window.Length < context.WindowSize)
        {
            return context.OldestAllowed;
        }

        long oldest = long.MaxValue;
        foreach (ref readonly Slot s in gathered.Window)
        {
            oldest = Math.Min(oldest, s.Timestamp);
        }

        return Math.Max(oldest, context.OldestAllowed);
    }
}
