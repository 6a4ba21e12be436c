using System;
using System.Buffers;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using CommunityToolkit.HighPerformance.Buffers;

namespace BatchStats.Fast.Internal.Kernels;

/// <summary>
/// Several order statistics of a series of non-negative doubles in two linear passes (a distribution select).
/// </summary>
/// <remarks>
/// <para>With the series' min and max known (the fused kernel computed them), each value maps to one of B equal-width
/// buckets by <c>(int)((x - min) * scale)</c>. Floating-point subtraction and multiplication by a positive constant
/// are monotone, so bucket order never contradicts value order: the k-th smallest value lies in the bucket where the
/// running count passes k. Pass 1 counts values per bucket; pass 2 copies the values of the few target buckets to a
/// pooled buffer; <see cref="Introselect"/> (or, for a crowded bucket, this select again on that bucket) finishes
/// inside each target. Exact for any input; O(n) passes with predictable branches, unlike quickselect's
/// data-dependent partitions. The input is only read.</para>
/// </remarks>
internal static class BucketSelect
{
    private const int MaxDepth = 3;
    private const int MinLength = 256;

    /// <param name="values">The series: no NaN, no -0.0; not modified.</param>
    /// <param name="min">Smallest value of the series.</param>
    /// <param name="max">Largest value of the series.</param>
    /// <param name="sortedKs">Distinct ranks, ascending, each in [0, values.Length).</param>
    /// <param name="results">Receives the k-th smallest value for each rank.</param>
    /// <param name="doubles">Scratch pool for values.</param>
    /// <param name="ints">Scratch pool for bucket counts.</param>
    /// <returns>
    /// How many values <see cref="Introselect"/> worked on (the target buckets, or a whole series the bucket passes gave
    /// up on): a few per rank on most data. Callers ignore it; tests check the bucket passes do the work.
    /// </returns>
    public static int Select(ReadOnlySpan<double> values, double min, double max, ReadOnlySpan<int> sortedKs, Span<double> results, ArrayPool<double> doubles, ArrayPool<int> ints) =>
        Select(values, min, max, sortedKs, results, doubles, ints, MaxDepth);

    private static int Select(ReadOnlySpan<double> values, double min, double max, ReadOnlySpan<int> sortedKs, Span<double> results, ArrayPool<double> doubles, ArrayPool<int> ints, int depth)
    {
        Debug.Assert(sortedKs.Length <= results.Length, "one result per rank");
        int n = values.Length;
        if (min == max)
        {
            results[..sortedKs.Length].Fill(min);
            return 0;
        }

        int bucketCount = Math.Clamp(n / 4, 16, 1 << 16);
        double scale = (bucketCount - 1) / (max - min);
        if (depth == 0 || n < MinLength || !double.IsFinite(scale))
        {
            Introselect.SelectCopy<double, DoubleAscending>(values, sortedKs, results, doubles);
            return n;
        }

        using SpanOwner<int> countsOwner = SpanOwner<int>.Allocate(bucketCount, ints, AllocationMode.Clear);
        Span<int> counts = countsOwner.Span;

        // Pass 1: histogram. (x - min) * scale lies in [0, bucketCount - 1] up to rounding. The unsigned clamp keeps the
        // unchecked index inside the array whatever the input (a negative or NaN product lands in the top bucket).
        ref int countsStart = ref MemoryMarshal.GetReference(counts);
        uint top = (uint)bucketCount - 1;
        foreach (double x in values)
        {
            Unsafe.Add(ref countsStart, (nint)Math.Min((uint)(int)((x - min) * scale), top))++;
        }

        // Locate each rank's bucket and its rank inside it; tag target buckets as -(target index + 1).
        Span<int> targetStart = stackalloc int[sortedKs.Length + 1];
        Span<int> rankTarget = stackalloc int[sortedKs.Length];
        Span<int> rankInside = stackalloc int[sortedKs.Length];
        int targets = LocateTargets(counts, sortedKs, targetStart, rankTarget, rankInside, out int buffered);

        // Pass 2: gather the target buckets' values.
        using SpanOwner<double> bufferOwner = SpanOwner<double>.Allocate(buffered, doubles, AllocationMode.Default);
        Span<double> buffer = bufferOwner.Span;
        Span<int> fill = stackalloc int[targets];
        targetStart[..targets].CopyTo(fill);
        foreach (double x in values)
        {
            int tag = Unsafe.Add(ref countsStart, (nint)Math.Min((uint)(int)((x - min) * scale), top)); // clamped as in pass 1
            if (tag < 0)
            {
                buffer[fill[-tag - 1]++] = x;
            }
        }

        return FinishTargets(buffer, targets, targetStart, rankTarget, rankInside, results, n, doubles, ints, depth);
    }

    /// <summary>
    /// Finds the bucket of each rank (the targets, tagged in <paramref name="counts"/> as -(target + 1)), each rank's
    /// target and rank inside it, and where each target's values start in the gather buffer.
    /// </summary>
    /// <returns>The number of target buckets; <paramref name="buffered"/>: the values they hold.</returns>
    private static int LocateTargets(Span<int> counts, ReadOnlySpan<int> sortedKs, Span<int> targetStart, Span<int> rankTarget, Span<int> rankInside, out int buffered)
    {
        Span<int> targetBucket = stackalloc int[sortedKs.Length];
        int targets = 0, below = 0, r = 0;
        buffered = 0;
        for (int b = 0; b < counts.Length && r < sortedKs.Length; b++)
        {
            int count = counts[b];
            bool isTarget = false;
            while (r < sortedKs.Length && sortedKs[r] < below + count)
            {
                if (!isTarget)
                {
                    isTarget = true;
                    targetBucket[targets] = b;
                    targetStart[targets] = buffered;
                    buffered += count;
                    targets++;
                }

                rankTarget[r] = targets - 1;
                rankInside[r] = sortedKs[r] - below;
                r++;
            }

            below += count;
        }

        targetStart[targets] = buffered;
        for (int t = 0; t < targets; t++)
        {
            counts[targetBucket[t]] = -(t + 1);
        }

        return targets;
    }

    /// <summary>Selects the ranks inside each gathered target bucket (again by buckets when one is crowded).</summary>
    /// <returns>How many values <see cref="Introselect"/> worked on.</returns>
    private static int FinishTargets(
        Span<double> buffer, int targets, ReadOnlySpan<int> targetStart, ReadOnlySpan<int> rankTarget, ReadOnlySpan<int> rankInside,
        Span<double> results, int n, ArrayPool<double> doubles, ArrayPool<int> ints, int depth)
    {
        Span<int> local = stackalloc int[rankTarget.Length];
        int selected = 0;
        for (int t = 0, first = 0; t < targets; t++)
        {
            int count = 0;
            while (first + count < rankTarget.Length && rankTarget[first + count] == t)
            {
                local[count] = rankInside[first + count];
                count++;
            }

            Span<double> bucket = buffer[targetStart[t]..targetStart[t + 1]];
            if (bucket.Length > MinLength && bucket.Length > n / 8)
            {
                // Crowded bucket (skewed data): select again over its own range.
                double bucketMin = double.PositiveInfinity, bucketMax = double.NegativeInfinity;
                foreach (double x in bucket)
                {
                    bucketMin = Math.Min(bucketMin, x);
                    bucketMax = Math.Max(bucketMax, x);
                }

                selected += Select(bucket, bucketMin, bucketMax, local[..count], results.Slice(first, count), doubles, ints, depth - 1);
            }
            else
            {
                Introselect.Select<double, DoubleAscending>(bucket, local[..count]);
                selected += bucket.Length;
                for (int i = 0; i < count; i++)
                {
                    results[first + i] = bucket[local[i]];
                }
            }

            first += count;
        }

        return selected;
    }
}
