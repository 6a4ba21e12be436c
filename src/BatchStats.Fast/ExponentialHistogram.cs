using System;
using System.Globalization;
using BatchStats.Fast.Internal;
using BatchStats.Fast.Internal.Kernels;

namespace BatchStats.Fast;

/// <summary>
/// An immutable, mergeable all-time distribution in the OpenTelemetry base-2 exponential bucket layout: at scale
/// <c>s</c>, bucket <c>i</c> covers <c>(2^(i / 2^s), 2^((i + 1) / 2^s)]</c>, plus a zero bucket for values at or
/// below <see cref="ZeroThreshold"/>.
/// </summary>
/// <remarks>
/// <para>Histograms of different trackers, processes or machines combine with <see cref="Merge"/>: the finer one is
/// downscaled to the coarser scale (bucket <c>i</c> becomes <c>i &gt;&gt; d</c>), counts and sums add up, and the
/// minimum and maximum combine. Build one from counts received from elsewhere with <see cref="Create"/>.</para>
/// <para>A tracker records values above 2^16 s in the highest bucket and values at or below 2^-24 s (the zero
/// threshold) in the zero bucket (<see cref="BatchStatsOptions.HistogramScale"/>); <see cref="Sum"/>,
/// <see cref="Min"/> and <see cref="Max"/> stay exact.</para>
/// <para>Instances are safe to share between threads.</para>
/// </remarks>
public sealed partial class ExponentialHistogram
{
    private readonly long[] _counts;

    private ExponentialHistogram(int scale, double zeroThreshold, long zeroCount, long offset, long[] counts, double sum, double min, double max)
    {
        Scale = scale;
        ZeroThreshold = zeroThreshold;
        ZeroCount = zeroCount;
        Offset = counts.Length == 0 ? 0 : offset; // one offset for "no buckets", however they came to be empty
        _counts = counts;
        Sum = sum;
        long count = zeroCount;
        foreach (long c in counts)
        {
            count = checked(count + c); // a total beyond long.MaxValue throws rather than wrapping negative
        }

        Count = count;
        Min = count == 0 ? 0 : min;
        Max = count == 0 ? 0 : max;
    }

    /// <summary>The scale: each power of two is split into 2^<see cref="Scale"/> buckets (-11 to 20; a tracker's: 0 to 6).</summary>
    public int Scale { get; }

    /// <summary>Values at or below <see cref="ZeroThreshold"/> (zero included).</summary>
    public long ZeroCount { get; }

    /// <summary>The zero bucket's upper bound: 2^-24 for a tracker's histograms (values that small count as zero).</summary>
    public double ZeroThreshold { get; }

    /// <summary>The bucket index of <see cref="Counts"/>[0] (0 when no bucket has a count).</summary>
    public long Offset { get; }

    /// <summary>Counts of the buckets <see cref="Offset"/>, <see cref="Offset"/> + 1, …; no leading or trailing zeros.</summary>
    public ReadOnlySpan<long> Counts => _counts;

    /// <summary>All values counted: <see cref="ZeroCount"/> plus the bucket counts.</summary>
    public long Count { get; }

    /// <summary>The exact sum of the values.</summary>
    public double Sum { get; }

    /// <summary>The exact smallest value (0 when <see cref="Count"/> is 0).</summary>
    public double Min { get; }

    /// <summary>The exact largest value (0 when <see cref="Count"/> is 0).</summary>
    public double Max { get; }

    /// <summary>The upper bound of bucket <paramref name="index"/> at this histogram's scale: 2^((index + 1) / 2^scale).</summary>
    /// <param name="index">A bucket index.</param>
    /// <returns>The bucket's inclusive upper bound: +∞ above the doubles' range, 0 below it.</returns>
    public double UpperBound(long index) => ExponentialLayout.UpperBound(index, Scale);

    /// <summary>This histogram at a coarser scale: bucket <c>i</c> becomes bucket <c>i &gt;&gt; (Scale - scale)</c>.</summary>
    /// <param name="scale">The new scale, at most <see cref="Scale"/> and at least -11.</param>
    /// <returns>The downscaled histogram (this one when the scale is unchanged).</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scale"/> is above <see cref="Scale"/> or below -11.</exception>
    /// <exception cref="OverflowException">Merged buckets count more than <see cref="long.MaxValue"/> values.</exception>
    public ExponentialHistogram Downscale(int scale)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(scale, Scale);
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, MinScale);
        if (scale == Scale || _counts.Length == 0)
        {
            return scale == Scale ? this : new ExponentialHistogram(scale, ZeroThreshold, ZeroCount, 0, [], Sum, Min, Max);
        }

        int shift = Scale - scale;
        long first = Offset >> shift, last = (Offset + _counts.Length - 1) >> shift;
        var counts = new long[last - first + 1];
        for (int i = 0; i < _counts.Length; i++)
        {
            counts[((Offset + i) >> shift) - first] = checked(counts[((Offset + i) >> shift) - first] + _counts[i]);
        }

        return new ExponentialHistogram(scale, ZeroThreshold, ZeroCount, first, counts, Sum, Min, Max);
    }

    /// <summary>
    /// Combines two histograms: the finer is downscaled to the coarser scale, then counts and sums add up. The zero
    /// threshold is the wider of the two, and buckets within it move into the zero bucket (a bucket it cuts through
    /// widens it to that bucket's upper bound), as Prometheus merges native histograms. A bucket that may hold values
    /// above its bounds (the highest counted one, or the one that holds 2^16, where trackers count larger values)
    /// widens it to the maximum instead, so the result always passes <see cref="Create"/>'s checks.
    /// </summary>
    /// <param name="a">A histogram.</param>
    /// <param name="b">Another histogram.</param>
    /// <returns>The histogram of the values of both.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="OverflowException">The two count more than <see cref="long.MaxValue"/> values together.</exception>
    public static ExponentialHistogram Merge(ExponentialHistogram a, ExponentialHistogram b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        int scale = Math.Min(a.Scale, b.Scale);
        a = a.Downscale(scale);
        b = b.Downscale(scale);
        double min = a.Count == 0 ? b.Min : b.Count == 0 ? a.Min : Math.Min(a.Min, b.Min);
        double max = a.Count == 0 ? b.Max : b.Count == 0 ? a.Max : Math.Max(a.Max, b.Max);
        long[] counts;
        long first;
        if (a._counts.Length == 0 || b._counts.Length == 0)
        {
            ExponentialHistogram buckets = a._counts.Length == 0 ? b : a;
            (counts, first) = (buckets._counts, buckets.Offset); // immutable: shared, not copied
        }
        else
        {
            first = Math.Min(a.Offset, b.Offset);
            counts = new long[Math.Max(a.Offset + a._counts.Length, b.Offset + b._counts.Length) - first];
            AddInto(counts, first, a);
            AddInto(counts, first, b);
        }

        double zeroThreshold = Math.Max(a.ZeroThreshold, b.ZeroThreshold);
        long zeroCount = checked(a.ZeroCount + b.ZeroCount);
        if (a.ZeroThreshold != b.ZeroThreshold)
        {
            // The wider threshold: buckets at or below it join the zero bucket, and a counted one it cuts through widens
            // it to its upper bound. A bucket that may hold larger values (the 2^16 bucket, or the highest counted one)
            // widens it to the maximum, so the threshold still bounds every value the zero bucket takes in; every bucket
            // below the maximum then joins too.
            int below = 0;
            while (below < counts.Length && ExponentialLayout.LowerBound(first + below, scale) < zeroThreshold)
            {
                if (counts[below] > 0)
                {
                    bool mayHoldLarger = first + below == ClampIndex(scale) || below == counts.Length - 1;
                    double upper = ExponentialLayout.UpperBound(first + below, scale);
                    upper = double.IsPositiveInfinity(upper) ? max : upper; // a bucket ending at 2^1024 or beyond (scale -10 and below): its values are at most the maximum
                    zeroThreshold = Math.Max(zeroThreshold, Math.Max(upper, mayHoldLarger ? max : 0)); // only a counted bucket widens it
                }

                zeroCount = checked(zeroCount + counts[below++]);
            }

            while (below < counts.Length && counts[below] == 0)
            {
                below++;
            }

            if (below > 0)
            {
                (counts, first) = (counts[below..], first + below);
            }
        }

        return new ExponentialHistogram(scale, zeroThreshold, zeroCount, first, counts, a.Sum + b.Sum, min, max);

        static void AddInto(long[] counts, long first, ExponentialHistogram h)
        {
            for (int i = 0; i < h._counts.Length; i++)
            {
                counts[h.Offset - first + i] = checked(counts[h.Offset - first + i] + h._counts[i]);
            }
        }
    }

    /// <summary>
    /// Estimates the <paramref name="q"/>-quantile the way <c>numpy.percentile(x, 100 q)</c> defines it (linear
    /// interpolation between the order statistics around rank <c>(Count - 1) q</c>), with the first and last order
    /// statistics the exact <see cref="Min"/> and <see cref="Max"/>, and each other one the geometric midpoint of its
    /// bucket (0 in the zero bucket) clamped to [<see cref="Min"/>, <see cref="Max"/>].
    /// </summary>
    /// <param name="q">The quantile, 0 to 1.</param>
    /// <returns>The estimate; 0 when nothing was counted.</returns>
    /// <remarks>
    /// Error bound: relative to the exact quantile of the counted values, at most <c>2^(2^-(Scale + 1)) - 1</c>
    /// (4.43 % at scale 3): a geometric midpoint is within that of every value in its bucket, clamping it to the range
    /// that holds the order statistic only brings it closer, and linear interpolation keeps the bound. So <c>q</c> = 0
    /// and 1 are exact. Values in the zero bucket (read as 0) or beyond the recorded range (counted in the highest
    /// bucket) are outside the bound.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="q"/> is not within 0 to 1.</exception>
    public double ValueAtQuantile(double q)
    {
        if (!(q >= 0 && q <= 1))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(q), q, "The quantile must be between 0 and 1.");
        }

        if (Count == 0)
        {
            return 0;
        }

        double h = (Count - 1) * q; // numpy's virtual index
        double floor = Math.Floor(h);
        long lower = (long)floor;
        double estimate = Percentiles.Lerp(ValueOfRank(lower), ValueOfRank(Math.Min(lower + 1, Count - 1)), h - floor);
        return Math.Clamp(estimate, Min, Max);
    }

    /// <summary>
    /// The order statistic of (0-based) <paramref name="rank"/>: exact for the first and last, otherwise the geometric
    /// midpoint of its bucket clamped to [<see cref="Min"/>, <see cref="Max"/>], which hold every order statistic.
    /// </summary>
    private double ValueOfRank(long rank)
    {
        if (rank == 0)
        {
            return Min;
        }

        if (rank == Count - 1)
        {
            return Max;
        }

        if (rank < ZeroCount)
        {
            return Min; // the zero bucket's midpoint is read as 0, and Min is at least that
        }

        long seen = ZeroCount;
        for (int i = 0; i < _counts.Length; i++)
        {
            seen += _counts[i];
            if (rank < seen)
            {
                double midpoint = Math.Pow(2, (Offset + i + 0.5) * Math.ScaleB(1, -Scale)); // 2^((i + 1/2) / 2^scale): finite even for the bucket below 2^1024, where the bounds' product is not
                return Math.Clamp(midpoint, Min, Max);
            }
        }

        return Max; // unreachable for rank < Count
    }

    /// <summary>
    /// The parts, for logs and the debugger:
    /// <c>ExponentialHistogram { Scale = 3, Count = 1000, ZeroCount = 0, Sum = 1.25, Min = 0.001, Max = 0.002, Buckets = 9 from index -80 }</c>
    /// (invariant culture, round-trip precision).
    /// </summary>
    /// <returns>One line.</returns>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"ExponentialHistogram {{ Scale = {Scale}, Count = {Count}, ZeroCount = {ZeroCount}, Sum = {Sum}, Min = {Min}, Max = {Max}, Buckets = {_counts.Length} from index {Offset} }}");
}
