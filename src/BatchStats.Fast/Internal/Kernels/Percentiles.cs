using System;
using System.Buffers;
using System.Diagnostics;

namespace BatchStats.Fast.Internal.Kernels;

/// <summary>numpy.percentile(x, p) with the default "linear" method, reproduced operation for operation.</summary>
internal static class Percentiles
{
    /// <summary>Below this length, in-place introselect beats the two-pass bucket select.</summary>
    internal const int SmallSeries = 512;

    /// <summary>The two order-statistic indices that percentile <paramref name="p"/> of n values reads, and its weight.</summary>
    public static (int Lower, int Upper, double Gamma) Position(int n, double p)
    {
        Debug.Assert(n > 0, "no percentile of an empty series");
        double q = p / 100.0; // numpy divides first: q = p / 100
        double h = (n - 1) * q; // virtual index
        double floor = Math.Floor(h);
        int lower = (int)floor;
        return (lower, Math.Min(lower + 1, n - 1), h - floor);
    }

    /// <summary>numpy's _lerp: a + (b - a)·g when g &lt; 0.5, else b - (b - a)·(1 - g).</summary>
    public static double Lerp(double a, double b, double gamma)
    {
        double d = b - a;
        return gamma < 0.5 ? a + (d * gamma) : b - (d * (1 - gamma));
    }

    /// <summary>
    /// Computes several percentiles of <paramref name="values"/> with one multi-selection (no sort).
    /// </summary>
    /// <param name="values">The series (no NaN); may be reordered.</param>
    /// <param name="ps">Percentiles in [0, 100].</param>
    /// <param name="results">Receives one result per entry of <paramref name="ps"/>.</param>
    /// <param name="min">The series' minimum (or <see cref="double.NaN"/> when unknown).</param>
    /// <param name="max">The series' maximum (or <see cref="double.NaN"/> when unknown).</param>
    /// <param name="doubles">Scratch pool for large series.</param>
    /// <param name="ints">Scratch pool for bucket counts.</param>
    public static void Compute(Span<double> values, ReadOnlySpan<double> ps, Span<double> results, double min, double max, ArrayPool<double> doubles, ArrayPool<int> ints)
    {
        Debug.Assert(results.Length >= ps.Length, "one result per percentile");
        int n = values.Length;
        if (n == 0)
        {
            results[..ps.Length].Clear();
            return;
        }

        // At most 2 order statistics per percentile; ps is small (a handful), so stack buffers suffice.
        Span<int> ks = stackalloc int[2 * ps.Length];
        int count = 0;
        foreach (double p in ps)
        {
            (int lower, int upper, _) = Position(n, p);
            ks[count++] = lower;
            ks[count++] = upper;
        }

        ks = SortDistinct(ks[..count]);
        Span<double> order = stackalloc double[ks.Length];
        SelectRanks(values, ks, order, min, max, doubles, ints);
        for (int i = 0; i < ps.Length; i++)
        {
            (int lower, int upper, double gamma) = Position(n, ps[i]);
            results[i] = Lerp(order[ks.BinarySearch(lower)], order[ks.BinarySearch(upper)], gamma);
        }
    }

    /// <summary>Sorts a few ranks in place and drops repeats.</summary>
    /// <returns>The distinct ranks, ascending: a prefix of <paramref name="ranks"/>.</returns>
    public static Span<int> SortDistinct(Span<int> ranks)
    {
        ranks.Sort();
        int distinct = 0;
        for (int i = 0; i < ranks.Length; i++)
        {
            if (distinct == 0 || ranks[i] != ranks[distinct - 1])
            {
                ranks[distinct++] = ranks[i];
            }
        }

        return ranks[..distinct];
    }

    /// <summary>
    /// The values of the given ranks (distinct, ascending) with the selection that suits the length: in-place
    /// introselect for short series (or unknown bounds), the two-pass bucket select otherwise.
    /// </summary>
    /// <param name="values">The series (no NaN, no -0.0); may be reordered.</param>
    /// <param name="sortedKs">Distinct ranks, ascending, each in [0, values.Length).</param>
    /// <param name="results">Receives the k-th smallest value for each rank.</param>
    /// <param name="min">The series' minimum (or <see cref="double.NaN"/> when unknown).</param>
    /// <param name="max">The series' maximum (or <see cref="double.NaN"/> when unknown).</param>
    /// <param name="doubles">Scratch pool for values.</param>
    /// <param name="ints">Scratch pool for bucket counts.</param>
    public static void SelectRanks(Span<double> values, ReadOnlySpan<int> sortedKs, Span<double> results, double min, double max, ArrayPool<double> doubles, ArrayPool<int> ints)
    {
        if (values.Length < SmallSeries || double.IsNaN(min) || double.IsNaN(max))
        {
            Introselect.Select<double, DoubleAscending>(values, sortedKs);
            for (int i = 0; i < sortedKs.Length; i++)
            {
                results[i] = values[sortedKs[i]];
            }
        }
        else
        {
            BucketSelect.Select(values, min, max, sortedKs, results, doubles, ints);
        }
    }
}
