using System;
using System.Diagnostics;
using CommunityToolkit.HighPerformance.Buffers;

namespace BatchStats.Fast.Internal;

/// <content>
/// An advance, in three steps sharing one <see cref="AdvancePlan"/>: copy what each ring published since, plan which
/// samples leave the window, apply the plan (invariants in docs/design.md, "Incremental reader").
/// </content>
internal sealed partial class IncrementalWindow
{
    /// <summary>Advances the kept window to the rings' current state and computes the figures, or declines.</summary>
    /// <returns>False when the caller must merge from scratch (nothing was changed then).</returns>
    public bool TryAdvance(in ReadContext context, out SnapshotFigures figures)
    {
        (WriterRing[] rings, long oldestAllowed, ReaderPools pools) = (context.Rings, context.OldestAllowed, context.Pools);
        figures = default;
        if (!_valid || oldestAllowed < _oldestAllowed || !SameRings(rings) || Pending(rings) is not { } pending)
        {
            return false;
        }

        // Scratch for what was published so far, with slack for what arrives while copying.
        int ringCount = rings.Length;
        int scratch = (int)Math.Min(_maxDelta, pending + 64 + (pending / 4));
        using SpanOwner<Slot> deltaOwner = SpanOwner<Slot>.Allocate(scratch, pools.Slots, AllocationMode.Default);
        using SpanOwner<int> partsOwner = SpanOwner<int>.Allocate(3 * ringCount, pools.Ints, AllocationMode.Default);
        using SpanOwner<long> headsOwner = SpanOwner<long>.Allocate(ringCount, pools.Longs, AllocationMode.Default);
        var plan = new AdvancePlan(deltaOwner.Span, partsOwner.Span, headsOwner.Span[..ringCount], ringCount);
        BeforeDeltaCopy?.Invoke();
        if (!CopyDelta(rings, ref plan))
        {
            return false;
        }

        for (int r = _mirrors.Count; r < ringCount; r++)
        {
            _mirrors.Add(new RingMirror(rings[r])); // a ring registered since: its mirror starts empty at sequence 0
        }

        int total = PlanDrops(oldestAllowed, in plan);
        Apply(in plan);
        _count = total;
        _oldestAllowed = oldestAllowed;
        Advances++;
        figures = Figures(context.PeakSoFar, plan.Totals, pools);
        return true;
    }

    /// <summary>True when the registry holds the mirrored rings, in order (it may have grown since).</summary>
    private bool SameRings(WriterRing[] rings)
    {
        if (rings.Length < _mirrors.Count)
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

        return true;
    }

    /// <summary>Samples published since the kept window was read, or null when more than an advance takes.</summary>
    private long? Pending(WriterRing[] rings)
    {
        long pending = 0;
        for (int r = 0; r < rings.Length; r++)
        {
            pending += rings[r].Head - (r < _mirrors.Count ? _mirrors[r].Head : 0);
        }

        return pending > _maxDelta ? null : pending;
    }

    /// <summary>1. Copies what each ring published since; false if it is too much, was overwritten, or is out of order.</summary>
    private bool CopyDelta(WriterRing[] rings, ref AdvancePlan plan)
    {
        var totals = new RingCounters(0, 0, 0, 0);
        int used = 0;
        for (int r = 0; r < rings.Length; r++)
        {
            RingMirror? mirror = r < _mirrors.Count ? _mirrors[r] : null;
            long from = mirror?.Head ?? 0;
            int copied = rings[r].CopySince(from, plan.Delta[used..], out RingCounters c);
            if (copied < 0)
            {
                return false;
            }

            long last = mirror is { Count: > 0 } ? mirror.LastTimestamp : long.MinValue;
            for (int i = used; i < used + copied; i++)
            {
                if (plan.Delta[i].Timestamp < last)
                {
                    return false;
                }

                last = plan.Delta[i].Timestamp;
            }

            used += copied;
            plan.DeltaEnds[r] = used;
            plan.Heads[r] = from + copied;
            totals += c;
        }

        plan.Totals = totals;
        return true;
    }

    /// <summary>
    /// 2. The new window, as the full reader would form it: the age limit first (a prefix of each ordered run), then
    /// the smallest (timestamp, ring, record) keys leave until WindowSize remain. Each ring's run is in timestamp
    /// order, so the smallest key is at the front of some run (ties: the earlier-registered ring's).
    /// </summary>
    /// <returns>The window's size after the advance.</returns>
    private int PlanDrops(long oldestAllowed, in AdvancePlan plan)
    {
        int total = 0;
        for (int r = 0, start = 0; r < plan.RingCount; start = plan.DeltaEnds[r], r++)
        {
            RingMirror mirror = _mirrors[r];
            int drop = 0, skip = 0;
            if (oldestAllowed != long.MinValue)
            {
                while (drop < mirror.Count && mirror.TimestampAt(drop) < oldestAllowed)
                {
                    drop++;
                }

                while (drop == mirror.Count && start + skip < plan.DeltaEnds[r] && plan.Delta[start + skip].Timestamp < oldestAllowed)
                {
                    skip++;
                }
            }

            plan.MirrorDrops[r] = drop;
            plan.DeltaSkips[r] = skip;
            total += mirror.Count - drop + (plan.DeltaEnds[r] - start - skip);
        }

        for (; total > _windowSize; total--)
        {
            int oldest = OldestRun(in plan);
            Debug.Assert(oldest >= 0, "more samples than the window holds, so some run is not exhausted");
            if (plan.MirrorDrops[oldest] < _mirrors[oldest].Count)
            {
                plan.MirrorDrops[oldest]++;
            }
            else
            {
                plan.DeltaSkips[oldest]++;
            }
        }

        return total;
    }

    /// <summary>The ring whose next kept sample has the smallest (timestamp, ring) key; -1 when every run is used up.</summary>
    private int OldestRun(in AdvancePlan plan)
    {
        int oldestRing = -1;
        long oldestStamp = long.MaxValue;
        for (int r = 0, start = 0; r < plan.RingCount; start = plan.DeltaEnds[r], r++)
        {
            RingMirror mirror = _mirrors[r];
            bool inMirror = plan.MirrorDrops[r] < mirror.Count;
            int nextNew = start + plan.DeltaSkips[r];
            if (!inMirror && nextNew >= plan.DeltaEnds[r])
            {
                continue; // this ring's run is used up
            }

            long stamp = inMirror ? mirror.TimestampAt(plan.MirrorDrops[r]) : plan.Delta[nextNew].Timestamp;
            if (oldestRing < 0 || stamp < oldestStamp)
            {
                oldestRing = r;
                oldestStamp = stamp;
            }
        }

        return oldestRing;
    }

    /// <summary>3. Applies the plan: removals, then insertions, to the mirrors, the integer sums and the bands.</summary>
    private void Apply(in AdvancePlan plan)
    {
        for (int r = 0, start = 0; r < plan.RingCount; start = plan.DeltaEnds[r], r++)
        {
            RingMirror mirror = _mirrors[r];
            int drop = plan.MirrorDrops[r];
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
            ReadOnlySpan<Slot> added = plan.Delta[(start + plan.DeltaSkips[r])..plan.DeltaEnds[r]];
            foreach (ref readonly Slot s in added)
            {
                _processing.Insert(s.ProcessingTime + 0.0); // +0.0 as the full reader: -0.0 is read as +0.0
                _latency.Insert(s.Latency + 0.0);
                _batchSum += s.BatchSize;
                _queueLengthSum += s.QueueLength;
            }

            mirror.Append(added);
            mirror.Head = plan.Heads[r];
        }
    }

    /// <summary>One advance's scratch: the copied delta and, per ring, where its part ends, what leaves and the new Head.</summary>
    private ref struct AdvancePlan
    {
        public AdvancePlan(Span<Slot> delta, Span<int> parts, Span<long> heads, int ringCount)
        {
            Delta = delta;
            DeltaEnds = parts[..ringCount];
            MirrorDrops = parts.Slice(ringCount, ringCount);
            DeltaSkips = parts.Slice(2 * ringCount, ringCount);
            Heads = heads;
            RingCount = ringCount;
        }

        /// <summary>The samples copied from every ring, ring by ring.</summary>
        public Span<Slot> Delta { get; }

        /// <summary>Ring r's new samples are <c>Delta[DeltaEnds[r - 1]..DeltaEnds[r]]</c>.</summary>
        public Span<int> DeltaEnds { get; }

        /// <summary>Per ring, its kept samples that leave the window (from the front).</summary>
        public Span<int> MirrorDrops { get; }

        /// <summary>Per ring, its new samples that never enter the window (from the front).</summary>
        public Span<int> DeltaSkips { get; }

        /// <summary>Per ring, the Head its copy ends at.</summary>
        public Span<long> Heads { get; }

        public int RingCount { get; }

        /// <summary>The all-time counters summed over the rings, as of the copies.</summary>
        public RingCounters Totals { get; set; }
    }
}
