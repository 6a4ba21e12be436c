using System;
using System.Buffers;
using System.Diagnostics;
using CommunityToolkit.HighPerformance.Buffers;

namespace BatchStats.Fast.Internal.Kernels;

/// <summary>
/// Several order statistics of a large series in about one pass: a Floyd–Rivest style sampling select.
/// </summary>
/// <remarks>
/// <para>From a fixed pseudo-random sample of about 2·n^(2/3) elements, introselect takes, for each requested rank k,
/// two order statistics that bracket the k-th smallest element with high probability (a bracket reaching the sample's
/// first or last element is open on that side). One branch-free pass over the data counts the elements below each
/// bracket and copies the few inside it to a pooled buffer; the rank is then found by <see cref="Introselect"/> inside
/// that buffer. When a bracket misses its rank or overflows its buffer (unlucky sample, heavy duplicates), that rank
/// falls back to introselect over a copy of the whole series, so the result is always exact and the worst case stays
/// O(n log n). On 100k uniform values a median takes half the time of that fallback
/// (perf-results, SampleSelectBenchmarks).</para>
/// <para>The input is only read. Small inputs go straight to introselect.</para>
/// </remarks>
internal static class SampleSelect
{
    /// <summary>Below this many elements, plain introselect is as fast.</summary>
    internal const int MinLength = 1024;

    private const int MaxBrackets = 8;

    /// <summary>Writes the k-th smallest element of <paramref name="values"/> for each k of <paramref name="sortedKs"/>.</summary>
    /// <param name="values">The series; not modified.</param>
    /// <param name="sortedKs">Distinct ranks, ascending, each in [0, values.Length).</param>
    /// <param name="results">One result per rank.</param>
    /// <param name="pool">Scratch pool.</param>
    /// <returns>
    /// How many ranks were selected over a copy of the whole series (small series, too many ranks, or a bracket that
    /// missed): 0 when the sample's brackets caught every rank. Callers ignore it; tests check the one-pass path is taken.
    /// </returns>
    public static int Select<T, TComparer>(ReadOnlySpan<T> values, ReadOnlySpan<int> sortedKs, Span<T> results, ArrayPool<T> pool)
        where T : unmanaged
        where TComparer : struct, IOrdering<T>
    {
        Debug.Assert(results.Length >= sortedKs.Length, "one result per rank");
        int n = values.Length;
        if (n < MinLength || sortedKs.Length > MaxBrackets)
        {
            Introselect.SelectCopy<T, TComparer>(values, sortedKs, results, pool);
            return sortedKs.Length;
        }

        // 1. A deterministic pseudo-random sample (xorshift over indices), with the order statistics the brackets
        // need put in place by introselect (no sort: the BCL's sort with a struct comparer boxes it and calls it
        // through an interface, which made the sample's sort cost more than the pass over the series).
        int sampleSize = Math.Min(n, 2 * (int)Math.Ceiling(Math.Cbrt((double)n * n)));
        int gap = (int)Math.Ceiling(2.0 * Math.Sqrt(sampleSize)) + 1;
        using SpanOwner<T> sampleOwner = SpanOwner<T>.Allocate(sampleSize, pool, AllocationMode.Default);
        Span<T> sample = sampleOwner.Span;
        DrawSample(values, sample);
        Span<int> picks = stackalloc int[2 * MaxBrackets];
        Introselect.Select<T, TComparer>(sample, BracketEnds(sortedKs, n, sampleSize, gap, picks));

        // 2. One bracket [low, high] per rank (ranks whose brackets overlap share one), from the sample's ranks; a
        // bracket that reaches the sample's first or last element is open on that side (the series' extremes lie
        // beyond the sample's, so a closed bracket there would miss ranks near 0 or n - 1).
        Span<T> lows = stackalloc T[MaxBrackets];
        Span<T> highs = stackalloc T[MaxBrackets];
        Span<int> lastRank = stackalloc int[MaxBrackets];
        int brackets = Brackets<T, TComparer>(sample, sortedKs, n, gap, lows, highs, lastRank, out bool openLow, out bool openHigh);

        // 3. One pass: count what lies below each bracket, collect what lies inside. Branch-free (a median bracket's
        // tests are coin flips): every value is stored at its bracket's next free place and kept only when inside,
        // and each bracket's part has one place more than its capacity for the values past it.
        int capacity = Math.Min(n, 8 * (int)((long)(2 * gap + 1) * n / sampleSize) + 64);
        int stride = capacity + 1;
        using SpanOwner<T> bufferOwner = SpanOwner<T>.Allocate(stride * brackets, pool, AllocationMode.Default);
        Span<T> buffer = bufferOwner.Span;
        Span<int> below = stackalloc int[brackets]; // zeroed: the assembly does not skip locals' initialisation
        Span<int> inside = stackalloc int[brackets];
        int firstClosed = openLow ? 1 : 0, lastClosed = openHigh ? brackets - 2 : brackets - 1; // only the end brackets can be open
        foreach (T x in values)
        {
            for (int b = 0; b < brackets; b++)
            {
                bool isBelow = (b >= firstClosed) & TComparer.Less(x, lows[b]);
                bool isAbove = (b <= lastClosed) & TComparer.Less(highs[b], x);
                buffer[(b * stride) + Math.Min(inside[b], capacity)] = x;
                below[b] += isBelow ? 1 : 0;
                inside[b] += (isBelow | isAbove) ? 0 : 1; // counts past the capacity too: the bracket then falls back
            }
        }

        // 4. Each rank inside its bracket: select there; otherwise fall back for that rank.
        return FinishBrackets<T, TComparer>(values, sortedKs, results, pool, buffer, capacity, lastRank[..brackets], below, inside);
    }

    /// <summary>The sample indices rank <paramref name="k"/>'s bracket starts and ends at: its centre ± <paramref name="gap"/>, clamped.</summary>
    private static (int Low, int High) SampleRange(int k, int n, int sampleSize, int gap)
    {
        int centre = (int)((long)k * sampleSize / n);
        return (Math.Max(0, centre - gap), Math.Min(sampleSize - 1, centre + gap));
    }

    /// <summary>
    /// The sample indices the brackets of <paramref name="sortedKs"/> start and end at, ascending, in
    /// <paramref name="picks"/>.
    /// </summary>
    private static ReadOnlySpan<int> BracketEnds(ReadOnlySpan<int> sortedKs, int n, int sampleSize, int gap, Span<int> picks)
    {
        int count = 0;
        foreach (int k in sortedKs)
        {
            (picks[count], picks[count + 1]) = SampleRange(k, n, sampleSize, gap);
            count += 2;
        }

        Span<int> ends = picks[..count];
        ends.Sort(); // out of order only where brackets overlap; repeats are fine for introselect
        return ends;
    }

    /// <summary>A deterministic pseudo-random sample of <paramref name="values"/> (xorshift over indices).</summary>
    private static void DrawSample<T>(ReadOnlySpan<T> values, Span<T> sample)
    {
        int n = values.Length;
        uint state = 0x9E3779B9u ^ (uint)n;
        for (int i = 0; i < sample.Length; i++)
        {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            sample[i] = values[(int)((ulong)state * (uint)n >> 32)];
        }
    }

    /// <summary>
    /// One bracket [low, high] per rank from the sample's order statistics at <see cref="BracketEnds"/> (already in
    /// place; the rest of the sample is in no order); ranks whose brackets overlap share one.
    /// </summary>
    /// <returns>
    /// The number of brackets; <paramref name="openLow"/>: the first has no lower bound (it reaches the sample's first
    /// element); <paramref name="openHigh"/>: the last has no upper bound (it reaches the sample's last element).
    /// </returns>
    private static int Brackets<T, TComparer>(
        ReadOnlySpan<T> sample, ReadOnlySpan<int> sortedKs, int n, int gap, Span<T> lows, Span<T> highs, Span<int> lastRank, out bool openLow, out bool openHigh)
        where TComparer : struct, IOrdering<T>
    {
        int sampleSize = sample.Length;
        int brackets = 0;
        openLow = openHigh = false;
        foreach (int k in sortedKs)
        {
            (int lowIndex, int highIndex) = SampleRange(k, n, sampleSize, gap);
            openHigh = highIndex == sampleSize - 1; // ranks ascend: only the last bracket can reach the end
            if (brackets > 0 && !TComparer.Less(highs[brackets - 1], sample[lowIndex]))
            {
                highs[brackets - 1] = sample[highIndex]; // overlaps the previous bracket: widen it
                lastRank[brackets - 1] = k;
                continue;
            }

            openLow |= lowIndex == 0; // only the first bracket can start at the sample's first element
            lows[brackets] = sample[lowIndex];
            highs[brackets] = sample[highIndex];
            lastRank[brackets] = k;
            brackets++;
        }

        return brackets;
    }

    /// <summary>Selects each rank inside its bracket's collected values, or (when the bracket missed it) over all values.</summary>
    /// <returns>How many ranks were selected over all values.</returns>
    private static int FinishBrackets<T, TComparer>(
        ReadOnlySpan<T> values, ReadOnlySpan<int> sortedKs, Span<T> results, ArrayPool<T> pool, Span<T> buffer, int capacity,
        ReadOnlySpan<int> lastRank, ReadOnlySpan<int> below, ReadOnlySpan<int> inside)
        where T : unmanaged
        where TComparer : struct, IOrdering<T>
    {
        Span<int> local = stackalloc int[sortedKs.Length];
        int r = 0, missed = 0;
        for (int b = 0; b < lastRank.Length; b++)
        {
            int count = 0;
            bool hit = inside[b] <= capacity; // the bracket kept every value inside it
            for (int i = r; i < sortedKs.Length && sortedKs[i] <= lastRank[b]; i++)
            {
                int rank = sortedKs[i] - below[b];
                hit &= rank >= 0 && rank < inside[b];
                local[count++] = rank;
            }

            if (hit)
            {
                Span<T> bucket = buffer.Slice(b * (capacity + 1), inside[b]); // each bracket's part: its capacity and one spare place
                Introselect.Select<T, TComparer>(bucket, local[..count]);
                for (int i = 0; i < count; i++)
                {
                    results[r + i] = bucket[local[i]];
                }
            }
            else
            {
                Introselect.SelectCopy<T, TComparer>(values, sortedKs.Slice(r, count), results.Slice(r, count), pool);
                missed += count;
            }

            r += count;
        }

        return missed;
    }
}
