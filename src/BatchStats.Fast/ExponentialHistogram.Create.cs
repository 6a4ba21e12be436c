using System;
using BatchStats.Fast.Internal;

namespace BatchStats.Fast;

// ExponentialHistogram.Create: a histogram from parts received from elsewhere, and the checks that keep merges acceptable.
public sealed partial class ExponentialHistogram
{
    /// <summary>Creates a histogram from its parts (e.g. received from another process), so it can be merged.</summary>
    /// <param name="scale">The scale, -11 to 20 (the OpenTelemetry .NET SDK's range).</param>
    /// <param name="zeroCount">Values at or below <paramref name="zeroThreshold"/>; non-negative.</param>
    /// <param name="offset">The bucket index of <paramref name="counts"/>[0].</param>
    /// <param name="counts">Bucket counts; non-negative.</param>
    /// <param name="sum">The sum of the values.</param>
    /// <param name="min">The smallest value (ignored when nothing was counted).</param>
    /// <param name="max">The largest value (ignored when nothing was counted).</param>
    /// <param name="zeroThreshold">The zero bucket's upper bound; finite and non-negative (0: exact zeros only).</param>
    /// <returns>The histogram, with leading and trailing empty buckets trimmed.</returns>
    /// <exception cref="ArgumentOutOfRangeException">
    /// The scale is out of range; a count, the threshold or the sum is negative or NaN; the threshold is infinite; the
    /// counts add up to more than <see cref="long.MaxValue"/>; a non-empty bucket holds no positive double (lies wholly
    /// above <see cref="double.MaxValue"/> or below 2^-1074 at this scale); or values were counted and
    /// <paramref name="min"/> or <paramref name="max"/> is negative, NaN or infinite, <paramref name="min"/> is above
    /// <paramref name="max"/>, <paramref name="min"/> is above the zero threshold while the zero bucket counted values,
    /// or only the zero bucket counted values and <paramref name="max"/> is above its threshold, or <paramref name="max"/> is below the highest counted bucket, or
    /// <paramref name="min"/> is above the lowest counted bucket unless that is the bucket that holds 2^16 (whose upper
    /// bound it is at scales from -4 up; trackers count every larger value there). So <paramref name="max"/> may lie
    /// above the highest bucket and <paramref name="min"/> below the lowest, but no bucket holds values below its
    /// bounds, and only the 2^16 bucket values above them. These are exactly the rules <see cref="Merge"/> and
    /// <see cref="Downscale"/> keep: what they return from accepted histograms is accepted too. Bucket bounds are
    /// checked with a relative slack of 10^-12, for producers that find a bucket by a logarithm.
    /// </exception>
    public static ExponentialHistogram Create(int scale, long zeroCount, long offset, ReadOnlySpan<long> counts, double sum, double min, double max, double zeroThreshold = 0)
    {
        if (!(zeroThreshold >= 0 && double.IsFinite(zeroThreshold)))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(zeroThreshold), zeroThreshold, "The zero threshold must be finite and not negative.");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(scale, MinScale);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(scale, MaxScale);
        ArgumentOutOfRangeException.ThrowIfNegative(zeroCount);
        long total = zeroCount;
        foreach (long c in counts)
        {
            if (c < 0)
            {
                ThrowHelper.ArgumentOutOfRange(nameof(counts), c, "Bucket counts must not be negative.");
            }

            if (c > long.MaxValue - total)
            {
                ThrowHelper.ArgumentOutOfRange(nameof(counts), c, "The counts must not add up to more than long.MaxValue.");
            }

            total += c;
        }

        bool counted = total > 0;

        int first = 0, end = counts.Length;
        while (first < end && counts[first] == 0)
        {
            first++;
        }

        while (end > first && counts[end - 1] == 0)
        {
            end--;
        }

        if (first < end && (offset < LowestIndex(scale) - first || offset > HighestIndex(scale) - (end - 1)))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(offset), offset, $"The non-empty buckets {first} to {end - 1} after this offset must have indices from {LowestIndex(scale)} to {HighestIndex(scale)} at scale {scale} (the buckets that hold positive doubles).");
        }

        if (!(sum >= 0))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(sum), sum, "The sum must not be negative or NaN (the layout counts values of at least 0).");
        }

        if (counted)
        {
            CheckExtremes(scale, zeroCount, zeroThreshold, offset + first, end - first, min, max); // with no bucket, the lowest index is not looked at
        }

        return new ExponentialHistogram(scale, zeroThreshold, zeroCount, first < end ? offset + first : 0, counts[first..end].ToArray(), sum, min, max); // no offset arithmetic when empty: it may be any long
    }

    /// <summary>
    /// <see cref="Create"/>'s checks of the extremes of counted values: finite, ordered, the smallest at most the zero
    /// threshold (zeros counted) or the lowest counted bucket's upper bound, and the largest at least the highest
    /// counted bucket's lower bound. The one exception is the bucket that holds 2^16, which holds a tracker's values
    /// above that (so a tracker that saw only such values has a minimum above its one counted bucket).
    /// </summary>
    private static void CheckExtremes(int scale, long zeroCount, double zeroThreshold, long lowest, int buckets, double min, double max)
    {
        if (!(min >= 0 && double.IsFinite(min)))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(min), min, "The minimum must be finite and not negative (the layout counts values of at least 0).");
        }

        if (!(max >= min && double.IsFinite(max)))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(max), max, $"The maximum must be finite and at least the minimum ({min}).");
        }

        double minCeiling = zeroCount > 0 ? zeroThreshold : lowest == ClampIndex(scale) ? double.PositiveInfinity : ExponentialLayout.UpperBound(lowest, scale);
        if (min > minCeiling * (1 + BoundTolerance))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(min), min, $"The minimum must not be above the lowest counted bucket, whose upper bound is {minCeiling}.");
        }

        if (buckets == 0 && max > zeroThreshold * (1 + BoundTolerance))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(max), max, $"The maximum must be at most the zero threshold {zeroThreshold}, as only the zero bucket counted values.");
        }

        double maxFloor = buckets > 0 ? ExponentialLayout.LowerBound(lowest + buckets - 1, scale) : 0;
        if (max < maxFloor * (1 - BoundTolerance))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(max), max, $"The maximum must be above {maxFloor}, the highest counted bucket's lower bound.");
        }
    }

    /// <summary>Smallest and largest scale: those of OpenTelemetry's .NET SDK (at -11 two buckets hold every positive double).</summary>
    internal const int MinScale = -11, MaxScale = 20;

    /// <summary>
    /// The index of the bucket that holds 2^16 at <paramref name="scale"/>: trackers count every value above 2^16 s in
    /// the bucket ending there, and downscaling keeps it inside this one (from scale -4 up, 2^16 is its upper bound).
    /// </summary>
    private static long ClampIndex(int scale) => IndexOfPowerOfTwo(ExponentialLayout.MaxExponent, scale);

    /// <summary>The relative slack of <see cref="Create"/>'s minimum and maximum checks against bucket bounds.</summary>
    private const double BoundTolerance = 1e-12;

    /// <summary>The lowest bucket index at <paramref name="scale"/>: the bucket holding 2^-1074, the smallest positive double.</summary>
    private static long LowestIndex(int scale) => IndexOfPowerOfTwo(-1074, scale);

    /// <summary>The highest bucket index at <paramref name="scale"/>: the bucket holding <see cref="double.MaxValue"/> (ending at 2^1024 from scale -10 up).</summary>
    private static long HighestIndex(int scale) => IndexOfPowerOfTwo(1024, scale);

    /// <summary>
    /// The index of the bucket holding 2^<paramref name="exponent"/>, <c>ceil(exponent · 2^scale) - 1</c>, exactly: the
    /// bucket ending there when that is an edge (always at scale 0 and above).
    /// </summary>
    private static long IndexOfPowerOfTwo(int exponent, int scale) =>
        scale >= 0 ? ((long)exponent << scale) - 1 : -(-(long)exponent >> -scale) - 1; // -floor(-x) = ceil(x)
}
