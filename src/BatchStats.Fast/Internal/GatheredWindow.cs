using System;
using System.Diagnostics;
using BatchStats.Fast.Internal.Kernels;
using CommunityToolkit.HighPerformance.Buffers;

namespace BatchStats.Fast.Internal;

/// <summary>
/// A window merged from every ring into one pooled span, in merge order: ring by ring (registry order), each ring's
/// part in record order. Dispose it to return the scratch arrays.
/// </summary>
internal readonly ref struct GatheredWindow
{
    private readonly SpanOwner<Slot> _slots;
    private readonly SpanOwner<int> _ends;
    private readonly SpanOwner<long> _heads;

    public GatheredWindow(SpanOwner<Slot> slots, SpanOwner<int> ends, SpanOwner<long> heads, int count, int rings, RingCounters totals, int activeWriters, bool canSeed)
    {
        CanSeed = canSeed;
        _slots = slots;
        _ends = ends;
        _heads = heads;
        Window = slots.Span[..count];
        SegmentEnds = ends.Span[..rings];
        Heads = heads.Span[..rings];
        Totals = totals;
        ActiveWriters = activeWriters;
    }

    /// <summary>The window's samples.</summary>
    public Span<Slot> Window { get; }

    /// <summary>Per ring, where its part of <see cref="Window"/> ends (ring r's part starts where ring r - 1's ends).</summary>
    public ReadOnlySpan<int> SegmentEnds { get; }

    /// <summary>Per ring, the head (samples ever published) as of the copy its part was taken from.</summary>
    public ReadOnlySpan<long> Heads { get; }

    /// <summary>Whether the incremental reader may keep this window: each ring's part is its newest records, consecutive and in timestamp order.</summary>
    public bool CanSeed { get; }

    /// <summary>The all-time counters summed over the rings.</summary>
    public RingCounters Totals { get; }

    /// <summary>Rings with at least one sample in the window.</summary>
    public int ActiveWriters { get; }

    public void Dispose()
    {
        _heads.Dispose();
        _ends.Dispose();
        _slots.Dispose();
    }

    /// <summary>
    /// Merges every ring's recent samples into one pooled span and cuts it down to the window (age limit, then the
    /// newest window size), keeping merge order. The caller disposes the result.
    /// </summary>
    public static GatheredWindow Gather(in ReadContext context, bool sinceAdoption = false)
    {
        (WriterRing[] rings, int windowSize, long oldestAllowed, ReaderPools pools) = (context.Rings, context.WindowSize, context.OldestAllowed, context.Pools);
        var totals = new RingCounters(0, 0, 0, 0);
        SpanOwner<Slot> owner = SpanOwner<Slot>.Allocate(CandidateSpace(rings, windowSize, sinceAdoption), pools.Slots, AllocationMode.Default);
        SpanOwner<int> endsOwner = SpanOwner<int>.Allocate(rings.Length, pools.Ints, AllocationMode.Default);
        SpanOwner<long> headsOwner = SpanOwner<long>.Allocate(rings.Length, pools.Longs, AllocationMode.Default);
        Span<int> ends = endsOwner.Span; // candidates of ring r are [ends[r - 1], ends[r])
        Span<long> heads = headsOwner.Span;
        Span<Slot> candidates = owner.Span;
        bool canSeed = true; // every ring's part is a run of consecutive records ending at its head
        int n = 0;
        for (int r = 0; r < rings.Length; r++)
        {
            long notBefore = sinceAdoption ? rings[r].AdoptedAt : 0;
            // Since adoption, the space may be less than a window per ring; a ring that grew past it since the sizing
            // contributes its newest samples only, which can only lower the cutoff (a safe direction).
            int max = Math.Min(windowSize, candidates.Length - n);
            int copied = rings[r].CopyRecent(candidates[n..], max, notBefore, out RingCounters c, out bool cut);
            canSeed &= !cut; // a last-resort cut never seeds the incremental reader
            n += oldestAllowed == long.MinValue ? copied : DropOlderThan(candidates.Slice(n, copied), oldestAllowed, ref canSeed);
            ends[r] = n;
            heads[r] = c.BatchCount;
            totals += c;
        }

        ends = ends[..rings.Length];
        int count;
        bool ordered = RunsOrdered(candidates[..n], ends);
        canSeed &= ordered;
        if (n <= windowSize)
        {
            count = n; // everything is in the window
        }
        else if (ordered)
        {
            SelectionKey t = SortedRunsThreshold(candidates[..n], ends, windowSize);
            // Every run is in timestamp order: each ring's part of the window is a suffix of its run; move the suffixes.
            count = 0;
            for (int r = 0, start = 0; r < rings.Length; r++)
            {
                int end = ends[r];
                int tiesStart = LowerBound(candidates, start, end, t.Timestamp);
                int tiesEnd = t.Timestamp == long.MaxValue ? end : LowerBound(candidates, tiesStart, end, t.Timestamp + 1);
                int first = Math.Clamp(t.Position, tiesStart, tiesEnd); // stamp-T entries count from the threshold position on
                candidates[first..end].CopyTo(candidates[count..]);
                count += end - first;
                ends[r] = count;
                start = end;
            }
        }
        else
        {
            count = KeepFrom(candidates[..n], ends, NewestThreshold(candidates[..n], windowSize, pools));
        }

        int activeWriters = 0;
        for (int r = 0, start = 0; r < rings.Length; start = ends[r], r++)
        {
            activeWriters += ends[r] > start ? 1 : 0;
        }

        return new GatheredWindow(owner, endsOwner, headsOwner, count, rings.Length, totals, activeWriters, canSeed);
    }

    /// <summary>Candidate slots to rent: a window per ring, or (since adoption) what each ring holds since then, plus slack.</summary>
    private static int CandidateSpace(WriterRing[] rings, int windowSize, bool sinceAdoption)
    {
        if (!sinceAdoption)
        {
            return checked(rings.Length * windowSize);
        }

        long space = 0;
        foreach (WriterRing ring in rings)
        {
            space += Math.Min(windowSize, ring.Head - ring.AdoptedAt + 64);
        }

        return checked((int)space);
    }

    /// <summary>Compacts <paramref name="slots"/> to those stamped at or after <paramref name="oldestAllowed"/>.</summary>
    /// <param name="slots">One ring's copied run.</param>
    /// <param name="oldestAllowed">The age limit.</param>
    /// <param name="suffix">Set to false when the samples dropped were not all before the samples kept.</param>
    private static int DropOlderThan(Span<Slot> slots, long oldestAllowed, ref bool suffix)
    {
        int kept = 0;
        for (int i = 0; i < slots.Length; i++)
        {
            if (slots[i].Timestamp >= oldestAllowed)
            {
                slots[kept++] = slots[i];
            }
            else
            {
                suffix &= kept == 0;
            }
        }

        return kept;
    }

    /// <summary>True when every ring's candidates are in timestamp order (the normal case: stamps of one thread increase).</summary>
    private static bool RunsOrdered(ReadOnlySpan<Slot> candidates, ReadOnlySpan<int> ends)
    {
        for (int r = 0, start = 0; r < ends.Length; start = ends[r], r++)
        {
            for (int i = start + 1; i < ends[r]; i++)
            {
                if (candidates[i].Timestamp < candidates[i - 1].Timestamp)
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>
    /// The key of the <paramref name="windowSize"/>-th newest candidate when every ring's candidates are in timestamp
    /// order (<see cref="RunsOrdered"/>) and there are more than <paramref name="windowSize"/>: a binary search over
    /// timestamps, counting each run's tail by binary search, costs O(64 · rings · log n) instead of a pass.
    /// </summary>
    private static SelectionKey SortedRunsThreshold(ReadOnlySpan<Slot> candidates, ReadOnlySpan<int> ends, int windowSize)
    {
        long lo = long.MaxValue, hi = long.MinValue;
        for (int r = 0, start = 0; r < ends.Length; start = ends[r], r++)
        {
            if (ends[r] > start)
            {
                lo = Math.Min(lo, candidates[start].Timestamp);
                hi = Math.Max(hi, candidates[ends[r] - 1].Timestamp);
            }
        }

        // The greatest T with count(timestamp >= T) >= windowSize; lo qualifies since there are more candidates than that.
        while (lo < hi)
        {
            long mid = lo + ((hi - lo + 1) >> 1);
            if (CountAtLeast(candidates, ends, mid) >= windowSize)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }

        // Everything newer than lo is in; the rest comes from the stamp-lo runs, highest merge positions first.
        int need = windowSize - (lo == long.MaxValue ? 0 : CountAtLeast(candidates, ends, lo + 1));
        for (int r = ends.Length - 1; r >= 0; r--)
        {
            int start = r == 0 ? 0 : ends[r - 1];
            int first = LowerBound(candidates, start, ends[r], lo);
            int equal = (lo == long.MaxValue ? ends[r] : LowerBound(candidates, first, ends[r], lo + 1)) - first;
            if (equal >= need)
            {
                return new SelectionKey(lo, first + equal - need);
            }

            need -= equal;
        }

        throw new UnreachableException("more candidates than the window holds, so some run holds the threshold");
    }

    private static int CountAtLeast(ReadOnlySpan<Slot> candidates, ReadOnlySpan<int> ends, long timestamp)
    {
        int count = 0;
        for (int r = 0, start = 0; r < ends.Length; start = ends[r], r++)
        {
            count += ends[r] - LowerBound(candidates, start, ends[r], timestamp);
        }

        return count;
    }

    /// <summary>First index in [start, end) of an ascending run whose timestamp is at least <paramref name="timestamp"/>.</summary>
    private static int LowerBound(ReadOnlySpan<Slot> candidates, int start, int end, long timestamp)
    {
        while (start < end)
        {
            int mid = start + ((end - start) >> 1);
            if (candidates[mid].Timestamp < timestamp)
            {
                start = mid + 1;
            }
            else
            {
                end = mid;
            }
        }

        return start;
    }

    /// <summary>
    /// The key of the <paramref name="windowSize"/>-th newest candidate by (timestamp, merge position): one sampling
    /// select over a pooled key array (no sort).
    /// </summary>
    private static SelectionKey NewestThreshold(ReadOnlySpan<Slot> candidates, int windowSize, ReaderPools pools)
    {
        using SpanOwner<SelectionKey> keysOwner = SpanOwner<SelectionKey>.Allocate(candidates.Length, pools.Keys, AllocationMode.Default);
        Span<SelectionKey> keys = keysOwner.Span;
        for (int i = 0; i < candidates.Length; i++)
        {
            keys[i] = new SelectionKey(candidates[i].Timestamp, i);
        }

        Span<SelectionKey> threshold = stackalloc SelectionKey[1];
        SampleSelect.Select<SelectionKey, SelectionKeyAscending>(keys, [candidates.Length - windowSize], threshold, pools.Keys);
        return threshold[0];
    }

    /// <summary>
    /// Compacts the candidates whose key is at least <paramref name="threshold"/>, keeping merge order, and moves each
    /// ring's end in <paramref name="ends"/> accordingly.
    /// </summary>
    private static int KeepFrom(Span<Slot> candidates, Span<int> ends, SelectionKey threshold)
    {
        int kept = 0;
        for (int r = 0, i = 0; r < ends.Length; r++)
        {
            for (; i < ends[r]; i++)
            {
                if (!SelectionKeyAscending.Less(new SelectionKey(candidates[i].Timestamp, i), threshold))
                {
                    candidates[kept++] = candidates[i];
                }
            }

            ends[r] = kept;
        }

        return kept;
    }
}
