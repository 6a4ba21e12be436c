using System;
using System.Buffers;
using System.Collections.Generic;
using System.Diagnostics;
using System.Numerics;
using CommunityToolkit.HighPerformance.Buffers;

namespace BatchStats.Fast.Internal.Kernels;

/// <summary>
/// In-place multi-order-statistic selection: after <see cref="Select{T, TComparer}"/>, every requested index
/// <c>k</c> holds the element a full ascending sort would put there, the elements before it are not greater and
/// those after it are not smaller.
/// </summary>
/// <remarks>
/// Quickselect with a median-of-three pivot and a Hoare partition (equal values split evenly, so runs of equal
/// values do not degrade it); one partition serves every requested index on each side (several percentiles share
/// partitions). The
/// recursion depth is bounded by 2·log2(n); past it the remaining range is sorted with the BCL's introsort, which
/// bounds the worst case at O(n log n) (introselect). No full sort of the input otherwise.
/// </remarks>
internal static class Introselect
{
    private const int InsertionSortThreshold = 16;

    /// <param name="values">The series to partially order in place.</param>
    /// <param name="sortedIndices">Requested indices, ascending (repeats allowed), each in [0, values.Length).</param>
    public static void Select<T, TComparer>(Span<T> values, ReadOnlySpan<int> sortedIndices)
        where TComparer : struct, IOrdering<T>
    {
        if (values.Length <= 1 || sortedIndices.IsEmpty)
        {
            return;
        }

        Debug.Assert(sortedIndices[0] >= 0 && sortedIndices[^1] < values.Length, "indices must be in range");
        int depthLimit = 2 * BitOperations.Log2((uint)values.Length);
        SelectRange<T, TComparer>(values, 0, values.Length, sortedIndices, depthLimit);
    }

    /// <summary>
    /// The k-th smallest elements of a read-only series, by introselect over a pooled copy (the fallback of the
    /// one-pass selects).
    /// </summary>
    public static void SelectCopy<T, TComparer>(ReadOnlySpan<T> values, ReadOnlySpan<int> sortedKs, Span<T> results, ArrayPool<T> pool)
        where TComparer : struct, IOrdering<T>
    {
        using SpanOwner<T> copyOwner = SpanOwner<T>.Allocate(values.Length, pool, AllocationMode.Default);
        Span<T> copy = copyOwner.Span;
        values.CopyTo(copy);
        Select<T, TComparer>(copy, sortedKs);
        for (int i = 0; i < sortedKs.Length; i++)
        {
            results[i] = copy[sortedKs[i]];
        }
    }

    private static void SelectRange<T, TComparer>(Span<T> values, int lo, int hi, ReadOnlySpan<int> ks, int depthLimit)
        where TComparer : struct, IOrdering<T>
    {
        TComparer cmp = default;
        while (!ks.IsEmpty && hi - lo > InsertionSortThreshold)
        {
            if (depthLimit-- == 0)
            {
                values[lo..hi].Sort(cmp);
                return;
            }

            T pivot = MedianOfThree(values, lo, lo + ((hi - lo) >> 1), hi - 1, cmp);
            int split = Partition<T, TComparer>(values, lo, hi, pivot);

            // ks[..left] lie in [lo, split), the rest in [split, hi).
            int left = LowerBound(ks, split);
            ReadOnlySpan<int> below = ks[..left];
            ReadOnlySpan<int> above = ks[left..];

            // Recurse into the smaller side, loop on the larger (stack depth O(log n)).
            if (split - lo < hi - split)
            {
                SelectRange<T, TComparer>(values, lo, split, below, depthLimit);
                lo = split;
                ks = above;
            }
            else
            {
                SelectRange<T, TComparer>(values, split, hi, above, depthLimit);
                hi = split;
                ks = below;
            }
        }

        if (!ks.IsEmpty)
        {
            InsertionSort(values, lo, hi, cmp);
        }
    }

    /// <summary>
    /// Hoare partition of [lo, hi) around a pivot value taken from the range: returns split with every element of
    /// [lo, split) not greater than the pivot and every element of [split, hi) not smaller. Runs of values equal to
    /// the pivot stop both scans, so they are divided evenly (all-equal input splits in the middle).
    /// </summary>
    private static int Partition<T, TComparer>(Span<T> values, int lo, int hi, T pivot)
        where TComparer : struct, IOrdering<T>
    {
        int i = lo - 1, j = hi;
        while (true)
        {
            do
            {
                i++;
            }
            while (TComparer.Less(values[i], pivot));

            do
            {
                j--;
            }
            while (TComparer.Less(pivot, values[j]));

            if (i >= j)
            {
                return j + 1;
            }

            (values[i], values[j]) = (values[j], values[i]);
        }
    }

    private static T MedianOfThree<T, TComparer>(Span<T> values, int a, int b, int c, TComparer cmp)
        where TComparer : struct, IOrdering<T>
    {
        T x = values[a], y = values[b], z = values[c];
        if (cmp.Compare(x, y) > 0)
        {
            (x, y) = (y, x);
        }

        if (cmp.Compare(y, z) > 0)
        {
            y = z;
            if (cmp.Compare(x, y) > 0)
            {
                y = x;
            }
        }

        return y;
    }

    private static void InsertionSort<T, TComparer>(Span<T> values, int lo, int hi, TComparer cmp)
        where TComparer : struct, IOrdering<T>
    {
        for (int i = lo + 1; i < hi; i++)
        {
            T item = values[i];
            int j = i - 1;
            while (j >= lo && cmp.Compare(values[j], item) > 0)
            {
                values[j + 1] = values[j];
                j--;
            }

            values[j + 1] = item;
        }
    }

    /// <summary>First position in ascending <paramref name="ks"/> whose value is at least <paramref name="bound"/>.</summary>
    private static int LowerBound(ReadOnlySpan<int> ks, int bound)
    {
        int i = 0;
        while (i < ks.Length && ks[i] < bound)
        {
            i++;
        }

        return i;
    }
}

/// <summary>A total order usable both by the selection kernels (<see cref="Less"/>, branch-free friendly) and by the BCL sort.</summary>
internal interface IOrdering<T> : IComparer<T>
{
    /// <summary>True when <paramref name="x"/> orders strictly before <paramref name="y"/>.</summary>
    static abstract bool Less(T x, T y);
}

/// <summary>Ascending order of doubles that contain no NaN (validated input).</summary>
internal readonly struct DoubleAscending : IOrdering<double>
{
    public static bool Less(double x, double y) => x < y;

    public int Compare(double x, double y) => x < y ? -1 : (x > y ? 1 : 0);
}
