using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using CommunityToolkit.HighPerformance.Buffers;

namespace BatchStats.Fast.Internal.Kernels;

/// <summary>
/// Several order statistics of a large series in about one pass: a Floyd–Rivest style sampling select.
/// </summary>
/// <remarks>
/// <para>A fixed pseudo-random sample of about 2·n^(2/3) elements is sorted; for each requested rank k the sample gives
/// two values that bracket the k-th smallest element with high probability. One pass over the data counts the
/// elements below each bracket and copies the few inside it to a pooled buffer; the rank is then found by
/// <see cref="Introselect"/> inside that buffer. When a bracket misses its rank or overflows its buffer (unlucky sample,
/// heavy duplicates), that rank falls back to introselect over a copy of the whole series, so the result is always
/// exact and the worst case stays O(n log n).</para>
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
    public static void Select<T, TComparer>(ReadOnlySpan<T> values, ReadOnlySpan<int> sortedKs, Span<T> results, ArrayPool<T> pool)
        where T : unmanaged
        where TComparer : struct, IOrdering<T>
    {
        Debug.Assert(results.Length >= sortedKs.Length, "one result per rank");
        int n = values.Length;
        if (n < MinLength || sortedKs.Length > MaxBrackets)
        {
            Introselect.SelectCopy<T, TComparer>(values, sortedKs, results, pool);
            return;
        }

        TComparer cmp = default;

        // 1. A deterministic pseudo-random sample (xorshift over indices), sorted.
        int sampleSize = Math.Min(n, 2 * (int)Math.Ceiling(Math.Cbrt((double)n * n)));
        using SpanOwner<T> sampleOwner = SpanOwner<T>.Allocate(sampleSize, pool, AllocationMode.Default);
        Span<T> sample = sampleOwner.Span;
        DrawSample(values, sample);
        sample.Sort(cmp);

        // 2. One bracket [low, high] per rank (ranks whose brackets overlap share one), from the sample's ranks.
        int gap = (int)Math.Ceiling(2.0 * Math.Sqrt(sampleSize)) + 1;
        Span<T> lows = stackalloc T[MaxBrackets];
        Span<T> highs = stackalloc T[MaxBrackets];
        Span<int> firstRank = stackalloc int[MaxBrackets];
        Span<int> lastRank = stackalloc int[MaxBrackets];
        int brackets = Brackets<T, TComparer>(sample, sortedKs, n, gap, lows, highs, firstRank, lastRank);

        // 3. One pass: count what lies below each bracket, collect what lies inside.
        int capacity = Math.Min(n, 8 * (int)((long)(2 * gap + 1) * n / sampleSize) + 64);
        using SpanOwner<T> bufferOwner = SpanOwner<T>.Allocate(capacity * brackets, pool, AllocationMode.Default);
        Span<T> buffer = bufferOwner.Span;
        Span<int> below = stackalloc int[brackets];
        Span<int> inside = stackalloc int[brackets];
        below.Clear();
        inside.Clear();
        bool overflow = false;
        foreach (T x in values)
        {
            for (int b = 0; b < brackets; b++)
            {
                bool isBelow = TComparer.Less(x, lows[b]);
                below[b] += isBelow ? 1 : 0; // branch-free: about half of the elements are below a median bracket
                if (!isBelow && !TComparer.Less(highs[b], x))
                {
                    if (inside[b] < capacity)
                    {
                        buffer[(b * capacity) + inside[b]] = x;
                    }
                    else
                    {
                        overflow = true;
                    }

                    inside[b]++;
                }
            }
        }

        // 4. Each rank inside its bracket: select there; otherwise fall back for that rank.
        FinishBrackets<T, TComparer>(values, sortedKs, results, pool, buffer, capacity, lastRank[..brackets], below, inside, overflow);
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

    /// <summary>One bracket [low, high] per rank from the sorted sample's ranks; ranks whose brackets overlap share one.</summary>
    /// <returns>The number of brackets.</returns>
    private static int Brackets<T, TComparer>(
        ReadOnlySpan<T> sample, ReadOnlySpan<int> sortedKs, int n, int gap, Span<T> lows, Span<T> highs, Span<int> firstRank, Span<int> lastRank)
        where TComparer : struct, IOrdering<T>
    {
        int sampleSize = sample.Length;
        int brackets = 0;
        foreach (int k in sortedKs)
        {
            int centre = (int)((long)k * sampleSize / n);
            int lowIndex = Math.Max(0, centre - gap), highIndex = Math.Min(sampleSize - 1, centre + gap);
            if (brackets > 0 && !TComparer.Less(highs[brackets - 1], sample[lowIndex]))
            {
                highs[brackets - 1] = sample[highIndex]; // overlaps the previous bracket: widen it
                lastRank[brackets - 1] = k;
                continue;
            }

            lows[brackets] = sample[lowIndex];
            highs[brackets] = sample[highIndex];
            firstRank[brackets] = lastRank[brackets] = k;
            brackets++;
        }

        return brackets;
    }

    /// <summary>Selects each rank inside its bracket's collected values, or (when the bracket missed it) over all values.</summary>
    private static void FinishBrackets<T, TComparer>(
        ReadOnlySpan<T> values, ReadOnlySpan<int> sortedKs, Span<T> results, ArrayPool<T> pool, Span<T> buffer, int capacity,
        ReadOnlySpan<int> lastRank, ReadOnlySpan<int> below, ReadOnlySpan<int> inside, bool overflow)
        where T : unmanaged
        where TComparer : struct, IOrdering<T>
    {
        Span<int> local = stackalloc int[sortedKs.Length];
        int r = 0;
        for (int b = 0; b < lastRank.Length; b++)
        {
            int count = 0;
            bool hit = !overflow && inside[b] <= capacity;
            for (int i = r; i < sortedKs.Length && sortedKs[i] <= lastRank[b]; i++)
            {
                int rank = sortedKs[i] - below[b];
                hit &= rank >= 0 && rank < inside[b];
                local[count++] = rank;
            }

            if (hit)
            {
                Span<T> bucket = buffer.Slice(b * capacity, inside[b]);
                Introselect.Select<T, TComparer>(bucket, local[..count]);
                for (int i = 0; i < count; i++)
                {
                    results[r + i] = bucket[local[i]];
                }
            }
            else
            {
                Introselect.SelectCopy<T, TComparer>(values, sortedKs.Slice(r, count), results.Slice(r, count), pool);
            }

            r += count;
        }
    }
}
