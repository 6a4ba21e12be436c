using System;
using System.Collections.Generic;
using System.Diagnostics;
using BatchStats.Fast.Internal.Kernels;
using CommunityToolkit.HighPerformance.Buffers;

namespace BatchStats.Fast.Internal;

/// <summary>
/// The incremental reader: the window the last <c>GetStats</c> computed, kept on the reader's side, so that the
/// next one applies only what changed instead of merging and selecting the whole window again.
/// </summary>
/// <remarks>
/// <para>State: per ring, a <see cref="RingMirror"/> holding that ring's part of the window (a suffix of what it
/// recorded, in record order) and the ring head it was read up to; per percentile series, <see cref="PercentileBands"/>
/// (a short sorted run of values around each needed order statistic plus the count of window values below it).</para>
/// <para>An advance copies each ring's samples published since (seqlock-validated, <see cref="WriterRing.CopySince"/>),
/// drops the window's oldest samples (age limit, then the smallest (timestamp, ring, record) keys until WindowSize
/// remain: exactly the window the full merge forms), and applies the removals and insertions to the mirrors, the
/// exact integer sums and the bands. Sums are then recomputed by the fused kernel over the mirrors, segment by ring
/// segment as the full reader does, so the figures are the same bits either way. A band that no longer covers its
/// rank is rebuilt with one selection over the window (no sort of the window, ever).</para>
/// <para>It declines (and the caller merges from scratch, then reseeds it) when it holds no window, when more than
/// about WindowSize / 4 samples arrived, when a ring's new samples were overwritten before they were copied, when
/// a ring's samples are not in timestamp order, when the registry changed other than by growing, or when the age
/// limit moved backwards.</para>
/// <para>Ownership: one reader thread at a time; the tracker hands it from reader to reader with
/// <see cref="System.Threading.Interlocked.Exchange{T}(ref T, T)"/> (a full fence), and writers never see it.</para>
/// </remarks>
internal sealed partial class IncrementalWindow
{
    private readonly int _windowSize;
    private readonly int _maxDelta;
    private readonly List<RingMirror> _mirrors = [];
    private readonly PercentileBands _processing = new();
    private readonly PercentileBands _latency = new();
    private bool _valid;
    private long _oldestAllowed;
    private long _batchSum;
    private long _queueLengthSum;
    private int _count;

    public IncrementalWindow(int windowSize)
    {
        _windowSize = windowSize;
        _maxDelta = Math.Max(64, windowSize / 4);
    }

    /// <summary>Band rebuilds so far, both series (for tests and benchmarks).</summary>
    internal long BandRebuilds => _processing.Rebuilds + _latency.Rebuilds;

    /// <summary>Successful advances so far (for tests and benchmarks: which path a read took).</summary>
    internal long Advances { get; private set; }

    /// <summary>Test hook: runs in <see cref="TryAdvance"/> after the pending count sized the scratch and before the delta is copied.</summary>
    internal Action? BeforeDeltaCopy { get; set; }

    /// <summary>Forgets the window: the next read merges from scratch.</summary>
    public void Invalidate() => _valid = false;

    /// <summary>
    /// Takes over the window the full reader just formed; its figures are then <see cref="Figures"/>. Declines (and
    /// stays invalid) when some ring's part is not a run of consecutive records ending at the ring's head, in
    /// timestamp order (<see cref="GatheredWindow.CanSeed"/>).
    /// </summary>
    public bool TrySeed(WriterRing[] rings, in GatheredWindow gathered, long oldestAllowed)
    {
        _valid = false;
        _processing.Invalidate();
        _latency.Invalidate();
        if (!gathered.CanSeed)
        {
            return false; // appending a ring's next records to its part would not give the full reader's window
        }

        ReadOnlySpan<Slot> window = gathered.Window;
        ReadOnlySpan<int> ends = gathered.SegmentEnds;
        if (_mirrors.Count > rings.Length)
        {
            _mirrors.RemoveRange(rings.Length, _mirrors.Count - rings.Length);
        }

        long batchSum = 0, queueLengthSum = 0;
        for (int r = 0, start = 0; r < rings.Length; start = ends[r], r++)
        {
            RingMirror mirror = MirrorOf(r, rings[r]);
            mirror.Reset(rings[r], gathered.Heads[r]);
            ReadOnlySpan<Slot> part = window[start..ends[r]];
            mirror.Append(part);
            foreach (ref readonly Slot s in part)
            {
                batchSum += s.BatchSize;
                queueLengthSum += s.QueueLength;
            }
        }

        _batchSum = batchSum;
        _queueLengthSum = queueLengthSum;
        _count = window.Length;
        _oldestAllowed = oldestAllowed;
        _valid = true;
        return true;
    }

    /// <summary>The figures of the kept window (bands rebuilt from it where they no longer cover their ranks).</summary>
    public SnapshotFigures Figures(double peakSoFar, RingCounters totals, ReaderPools pools)
    {
        if (_count == 0)
        {
            return new SnapshotFigures(WindowFigures.EmptySnapshot(peakSoFar, totals), long.MaxValue, 0);
        }

        var pt = default(FusedAggregate.Accumulator);
        var qt = default(FusedAggregate.Accumulator);
        var lat = default(FusedAggregate.Accumulator);
        int minBatch = int.MaxValue, maxBatch = int.MinValue, maxQueueLength = int.MinValue;
        long oldest = long.MaxValue;
        foreach (RingMirror mirror in _mirrors)
        {
            if (mirror.Count == 0)
            {
                continue;
            }

            pt.Add(mirror.Processing);
            qt.Add(mirror.Queue);
            lat.Add(mirror.Latency);
            (int lo, int hi) = IntegerKernels.MinMax(mirror.BatchSizes);
            minBatch = Math.Min(minBatch, lo);
            maxBatch = Math.Max(maxBatch, hi);
            maxQueueLength = Math.Max(maxQueueLength, IntegerKernels.MinMax(mirror.QueueLengths).Max);
            oldest = Math.Min(oldest, mirror.TimestampAt(0));
        }

        Aggregate ptAggregate = pt.Result, latAggregate = lat.Result;
        EnsureBands(_processing, static m => m.Processing, ptAggregate, pools);
        EnsureBands(_latency, static m => m.Latency, latAggregate, pools);
        Span<double> ptPercentiles = stackalloc double[3];
        Span<double> latPercentiles = stackalloc double[3];
        _processing.Read(_count, ptPercentiles);
        _latency.Read(_count, latPercentiles);
        var ints = new IntegerFigures(_batchSum, _queueLengthSum, minBatch, maxBatch, maxQueueLength, oldest);
        return WindowFigures.BuildFigures(_count, ptAggregate, qt.Result, latAggregate, ints, ptPercentiles, latPercentiles, peakSoFar, totals);
    }

    /// <summary>Rebuilds <paramref name="bands"/> from the whole window's <paramref name="column"/> when one no longer covers its rank.</summary>
    private void EnsureBands(PercentileBands bands, Func<RingMirror, ReadOnlySpan<double>> column, Aggregate aggregate, ReaderPools pools)
    {
        if (bands.Covers(_count))
        {
            return;
        }

        using SpanOwner<double> valuesOwner = SpanOwner<double>.Allocate(_count, pools.Doubles, AllocationMode.Default);
        Span<double> values = valuesOwner.Span;
        int n = 0;
        foreach (RingMirror mirror in _mirrors)
        {
            ReadOnlySpan<double> part = column(mirror);
            part.CopyTo(values[n..]);
            n += part.Length;
        }

        Debug.Assert(n == _count, "the mirrors hold the window");
        bands.Rebuild(values, aggregate.Min, aggregate.Max, pools);
    }

    private RingMirror MirrorOf(int index, WriterRing ring)
    {
        if (index < _mirrors.Count)
        {
            return _mirrors[index];
        }

        var mirror = new RingMirror(ring);
        _mirrors.Add(mirror);
        return mirror;
    }
}
