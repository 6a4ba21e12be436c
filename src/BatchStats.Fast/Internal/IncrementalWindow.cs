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
internal sealed class IncrementalWindow
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

    /// <summary>Forgets the window: the next read merges from scratch.</summary>
    public void Invalidate() => _valid = false;

    /// <summary>
    /// Takes over the window the full reader just formed; its figures are then <see cref="Figures"/>. Declines (and
    /// stays invalid) when some ring's part is not a run of consecutive records ending at the ring's head, in
    /// timestamp order (<see cref="GatheredWindow.Suffixes"/>).
    /// </summary>
    public bool TrySeed(WriterRing[] rings, in GatheredWindow gathered, long oldestAllowed)
    {
        _valid = false;
        _processing.Invalidate();
        _latency.Invalidate();
        if (!gathered.Suffixes)
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

    /// <summary>Advances the kept window to the rings' current state and computes the figures, or declines.</summary>
    /// <returns>False when the caller must merge from scratch (nothing was changed then).</returns>
    public bool TryAdvance(WriterRing[] rings, long oldestAllowed, double peakSoFar, ReaderPools pools, out SnapshotFigures figures)
    {
        figures = default;
        if (!_valid || oldestAllowed < _oldestAllowed || rings.Length < _mirrors.Count)
        {
            return false;
        }

        for (int r = 0; r < _mirrors.Count; r++)
        {
            if (!ReferenceEquals(_mirrors[r].Ring, rings[r]))
            {
                return false;
            }
        }

        // Size the scratch for what was published so far, with slack for what arrives while copying.
        int ringCount = rings.Length;
        long pending = 0;
        for (int r = 0; r < ringCount; r++)
        {
            pending += rings[r].Head - (r < _mirrors.Count ? _mirrors[r].EndSeq : 0);
        }

        if (pending > _maxDelta)
        {
            return false;
        }

        int scratch = (int)Math.Min(_maxDelta, pending + 64 + (pending / 4));
        using SpanOwner<Slot> deltaOwner = SpanOwner<Slot>.Allocate(scratch, pools.Slots, AllocationMode.Default);
        using SpanOwner<int> partsOwner = SpanOwner<int>.Allocate(3 * ringCount, pools.Ints, AllocationMode.Default);
        using SpanOwner<long> headsOwner = SpanOwner<long>.Allocate(ringCount, pools.Longs, AllocationMode.Default);
        Span<Slot> delta = deltaOwner.Span;
        Span<int> deltaEnds = partsOwner.Span[..ringCount]; // ring r's new samples are delta[deltaEnds[r - 1]..deltaEnds[r]]
        Span<int> mirrorDrops = partsOwner.Span.Slice(ringCount, ringCount); // oldest kept samples leaving the window
        Span<int> deltaSkips = partsOwner.Span.Slice(2 * ringCount, ringCount); // new samples that never enter it
        Span<long> heads = headsOwner.Span[..ringCount];

        // 1. Copy what each ring published since; decline if it is too much, was overwritten, or is out of order.
        long batchCount = 0, totalProcessed = 0, errors = 0, rejected = 0;
        int used = 0;
        for (int r = 0; r < ringCount; r++)
        {
            RingMirror? mirror = r < _mirrors.Count ? _mirrors[r] : null;
            long from = mirror?.EndSeq ?? 0;
            int copied = rings[r].CopySince(from, delta[used..], out RingCounters c);
            if (copied < 0)
            {
                return false;
            }

            long last = mirror is { Count: > 0 } ? mirror.LastTimestamp : long.MinValue;
            for (int i = used; i < used + copied; i++)
            {
                if (delta[i].Timestamp < last)
                {
                    return false;
                }

                last = delta[i].Timestamp;
            }

            used += copied;
            deltaEnds[r] = used;
            heads[r] = from + copied;
            batchCount += c.BatchCount;
            totalProcessed += c.TotalProcessed;
            errors += c.Errors;
            rejected += c.Rejected;
        }

        for (int r = _mirrors.Count; r < ringCount; r++)
        {
            _mirrors.Add(new RingMirror(rings[r])); // a ring registered since: its mirror starts empty at sequence 0
        }

        // 2. The new window, as the full reader would form it: age limit first (a prefix of each ordered run)...
        int total = 0;
        for (int r = 0, start = 0; r < ringCount; start = deltaEnds[r], r++)
        {
            RingMirror mirror = _mirrors[r];
            int drop = 0, skip = 0;
            if (oldestAllowed != long.MinValue)
            {
                while (drop < mirror.Count && mirror.TimestampAt(drop) < oldestAllowed)
                {
                    drop++;
                }

                if (drop == mirror.Count)
                {
                    while (start + skip < deltaEnds[r] && delta[start + skip].Timestamp < oldestAllowed)
                    {
                        skip++;
                    }
                }
            }

            mirrorDrops[r] = drop;
            deltaSkips[r] = skip;
            total += mirror.Count - drop + (deltaEnds[r] - start - skip);
        }

        // ...then the smallest (timestamp, ring, record) keys leave until WindowSize remain: each ring's run is in
        // timestamp order, so the smallest key is at the front of some run (ties: the earlier-registered ring's).
        for (; total > _windowSize; total--)
        {
            int oldestRing = -1;
            long oldestStamp = long.MaxValue;
            for (int r = 0, start = 0; r < ringCount; start = deltaEnds[r], r++)
            {
                RingMirror mirror = _mirrors[r];
                long stamp;
                if (mirrorDrops[r] < mirror.Count)
                {
                    stamp = mirror.TimestampAt(mirrorDrops[r]);
                }
                else if (start + deltaSkips[r] < deltaEnds[r])
                {
                    stamp = delta[start + deltaSkips[r]].Timestamp;
                }
                else
                {
                    continue; // this ring's run is used up
                }

                if (oldestRing < 0 || stamp < oldestStamp)
                {
                    oldestRing = r;
                    oldestStamp = stamp;
                }
            }

            Debug.Assert(oldestRing >= 0, "more samples than the window holds, so some run is not exhausted");
            if (mirrorDrops[oldestRing] < _mirrors[oldestRing].Count)
            {
                mirrorDrops[oldestRing]++;
            }
            else
            {
                deltaSkips[oldestRing]++;
            }
        }

        // 3. Apply: removals, then insertions, to the mirrors, the integer sums and the bands.
        for (int r = 0, start = 0; r < ringCount; start = deltaEnds[r], r++)
        {
            RingMirror mirror = _mirrors[r];
            int drop = mirrorDrops[r];
            ReadOnlySpan<double> pt = mirror.Processing, lat = mirror.Latency;
            ReadOnlySpan<int> batch = mirror.BatchSizes, queueLength = mirror.QueueLengths;
            for (int i = 0; i < drop; i++)
            {
                _processing.Remove(pt[i]);
                _latency.Remove(lat[i]);
                _batchSum -= batch[i];
                _queueLengthSum -= queueLength[i];
            }

            mirror.DropFront(drop);
            ReadOnlySpan<Slot> added = delta[(start + deltaSkips[r])..deltaEnds[r]];
            foreach (ref readonly Slot s in added)
            {
                _processing.Insert(s.ProcessingTime + 0.0); // +0.0 as the full reader: -0.0 is read as +0.0
                _latency.Insert(s.Latency + 0.0);
                _batchSum += s.BatchSize;
                _queueLengthSum += s.QueueLength;
            }

            mirror.Append(added);
            mirror.EndSeq = heads[r];
        }

        _count = total;
        _oldestAllowed = oldestAllowed;
        Advances++;
        figures = Figures(peakSoFar, new RingCounters(batchCount, totalProcessed, errors, rejected), pools);
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
        EnsureBands(_processing, latency: false, ptAggregate, pools);
        EnsureBands(_latency, latency: true, latAggregate, pools);
        Span<double> ptPercentiles = stackalloc double[3];
        Span<double> latPercentiles = stackalloc double[3];
        _processing.Read(_count, ptPercentiles);
        _latency.Read(_count, latPercentiles);
        var ints = new IntegerFigures(_batchSum, _queueLengthSum, minBatch, maxBatch, maxQueueLength, oldest);
        return WindowFigures.BuildFigures(_count, ptAggregate, qt.Result, latAggregate, ints, ptPercentiles, latPercentiles, peakSoFar, totals);
    }

    /// <summary>Rebuilds <paramref name="bands"/> from the whole window when one no longer covers its rank.</summary>
    private void EnsureBands(PercentileBands bands, bool latency, Aggregate aggregate, ReaderPools pools)
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
            ReadOnlySpan<double> part = latency ? mirror.Latency : mirror.Processing;
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
