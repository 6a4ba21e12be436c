using System;
using System.Linq;
using BatchStats.Fast.Internal;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="ExponentialHistogram"/>: <c>Create</c>'s rules, merges and downscales across scales and zero thresholds,
/// the quantile estimate against exact quantiles, bucket bounds; and <see cref="BatchStatsHistograms"/>'s merge.
/// </summary>
public sealed class ExponentialHistogramTests
{
    [Fact]
    public void Create_BadParts_ThrowNamingTheParameter()
    {
        Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, -8594, [1], 1, 1, 1)).ParamName);
        Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 8192, [1], 1, 1, 1)).ParamName);
        Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 8190, [1, 0, 1], 1, 1, 1)).ParamName);
        Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(-4, 0, 64, [1], 1, 1, 1)).ParamName);
        Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(-4, 0, -69, [1], 1, 1, 1)).ParamName);
        Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(8, 0, long.MaxValue, [1], 1, 1, 1)).ParamName);
        Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(8, 0, long.MinValue, [0, 1], 1, 1, 1)).ParamName);
        Assert.Equal("sum", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [1], double.NaN, 1, 1)).ParamName);
        Assert.Equal("sum", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 1, 0, [], -1, 0, 0)).ParamName);
        Assert.Equal("min", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [1], 1, -1, 1)).ParamName);
        Assert.Equal("min", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 1, 0, [], 0, double.NaN, 0)).ParamName);
        Assert.Equal("min", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [1, 1], 2, -1, 1)).ParamName);
        Assert.Equal("max", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [2], 3, 2, 1)).ParamName);
        Assert.Equal("max", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [1], 1, 1, double.NaN)).ParamName);
    }

    [Fact]
    public void Create_CountsBeyondLongMaxValue_ThrowNamingThem_AndMergeOrDownscaleOverflowThrows()
    {
        Assert.Equal("counts", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, long.MaxValue, 0, [1], 1, 0, 1.05, 1e-9)).ParamName);
        Assert.Equal("counts", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [long.MaxValue, 1], 2, 1.05, 1.1)).ParamName);
        Assert.Equal(long.MaxValue, ExponentialHistogram.Create(3, 0, 0, [long.MaxValue - 1, 1], 2, 1.05, 1.1).Count); // the most there can be

        ExponentialHistogram half = ExponentialHistogram.Create(3, 0, 0, [(long.MaxValue / 2) + 1], 1, 1.05, 1.05);
        Assert.Throws<OverflowException>(() => ExponentialHistogram.Merge(half, half)); // one bucket: its sum would wrap negative
        ExponentialHistogram halves = ExponentialHistogram.Create(3, 0, 0, [(long.MaxValue / 2) + 1, (long.MaxValue / 2) - 1], 1, 1.05, 1.1);
        Assert.Equal(long.MaxValue - 1, halves.Count);
        Assert.Throws<OverflowException>(() => ExponentialHistogram.Merge(halves, ExponentialHistogram.Create(3, 2, 0, [], 0, 0, 0)));
        Assert.Equal(long.MaxValue - 1, halves.Downscale(0).Counts[0]); // two buckets into one, within range
        Assert.Throws<OverflowException>(() => ExponentialHistogram.Merge(halves, halves.Downscale(0)));

        ExponentialHistogram zeros = ExponentialHistogram.Create(3, (long.MaxValue / 2) + 1, 0, [], 0, 0, 0);
        Assert.Throws<OverflowException>(() => ExponentialHistogram.Merge(zeros, zeros)); // the zero counts alone
        ExponentialHistogram wideZeros = ExponentialHistogram.Create(3, (long.MaxValue / 2) + 1, 0, [], 0, 0, 0, 2);
        Assert.Throws<OverflowException>(() => ExponentialHistogram.Merge(wideZeros, half)); // half's bucket (1, 1.09] moves into the wider zero bucket

        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [long.MaxValue, 1], 2, 1.05, 1.1));
        Assert.StartsWith("The counts must not add up to more than long.MaxValue.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_MinOrMaxNoValuesCouldHave_ThrowNamingThem()
    {
        // Scale 3: bucket 0 is (1, 2^(1/8)] = (1, 1.0905]; bucket 4 is (2^(4/8), 2^(5/8)] = (1.4142, 1.5422].
        Assert.Equal("min", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [1, 1], 10, 5, 5)).ParamName); // above both buckets
        Assert.Equal("min", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [1, 0, 0, 0, 1], 2.5, 1.2, 1.5)).ParamName); // above the lowest counted bucket
        Assert.Equal("max", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [1, 0, 0, 0, 1], 2.5, 1.05, 1.2)).ParamName); // below the highest counted bucket
        Assert.Equal("min", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 1, 0, [1], 1.05, 0.5, 1.05, 1e-3)).ParamName); // the zero bucket counted: at most its threshold
        Assert.Equal("max", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 2, 0, [], 0.5, 0, 0.5, 1e-3)).ParamName); // only zeros counted
        Assert.Equal("min", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [1], 1, double.PositiveInfinity, double.PositiveInfinity)).ParamName);
        Assert.Equal("max", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [1], 1, 1.05, double.PositiveInfinity)).ParamName);

        // Accepted: values beyond a recorded range counted in the edge buckets, a bound met exactly or within the tolerance.
        Assert.Equal((0.001, 1e6), Pair(ExponentialHistogram.Create(3, 0, 0, [1, 0, 0, 0, 1], 1e6, 0.001, 1e6)));
        Assert.Equal(Math.Pow(2, 0.125), ExponentialHistogram.Create(3, 0, 0, [1, 1], 2.3, Math.Pow(2, 0.125), 1.15).Min); // the lowest bucket's upper bound itself
        Assert.Equal((1.0, 1.0), Pair(ExponentialHistogram.Create(3, 0, 0, [1], 1, 1, 1))); // (1, 1.09]'s lower bound itself: where a logarithm may put 1
        Assert.Equal((0.0, 1e-3), Pair(ExponentialHistogram.Create(3, 2, 0, [], 1e-3, 0, 1e-3, 1e-3)));
        Assert.Equal((1e5, 1e5), Pair(ExponentialHistogram.Create(3, 0, 127, [1], 1e5, 1e5, 1e5))); // (2^15.875, 2^16]: a tracker counts larger values there

        // A lone bucket holds only its own values (but for the one ending at 2^16): merged with others it would not.
        Assert.Equal("min", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [1], 5, 5, 5)).ParamName);
        Assert.Equal("max", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [1], 0.5, 0.5, 0.5)).ParamName);

        // At the bounds and within the slack of 1e-12 (bucket 4's lower bound is 2^(4/8) = √2).
        double lower = ExponentialLayout.LowerBound(4, 3);
        Assert.Equal(lower, ExponentialHistogram.Create(3, 0, 0, [1, 0, 0, 0, 1], 2.5, 1.05, lower).Max);
        Assert.Equal(lower * (1 - 0.5e-12), ExponentialHistogram.Create(3, 0, 0, [1, 0, 0, 0, 1], 2.5, 1.05, lower * (1 - 0.5e-12)).Max);
        Assert.Equal("max", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [1, 0, 0, 0, 1], 2.5, 1.05, lower * (1 - 2e-12))).ParamName);
        Assert.Equal(1e-3 * (1 + 0.5e-12), ExponentialHistogram.Create(3, 2, 0, [], 1e-3, 0, 1e-3 * (1 + 0.5e-12), 1e-3).Max);
        Assert.Equal("max", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 2, 0, [], 1e-3, 0, 1e-3 * (1 + 2e-12), 1e-3)).ParamName);
        double upper = ExponentialLayout.UpperBound(0, 3);
        Assert.Equal(upper * (1 + 0.5e-12), ExponentialHistogram.Create(3, 0, 0, [1, 1], 2.5, upper * (1 + 0.5e-12), 1.1).Min);
        Assert.Equal("min", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [1, 1], 2.5, upper * (1 + 2e-12), 1.1)).ParamName);

        // The messages say which bound.
        Assert.StartsWith($"The maximum must be above {lower}, the highest counted bucket's lower bound.", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [1, 0, 0, 0, 1], 2.5, 1.05, 1.2)).Message, StringComparison.Ordinal);
        Assert.StartsWith($"The maximum must be at most the zero threshold {1e-3}, as only the zero bucket counted values.", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 2, 0, [], 0.5, 0, 0.5, 1e-3)).Message, StringComparison.Ordinal);
        Assert.StartsWith($"The minimum must not be above the lowest counted bucket, whose upper bound is {upper}.", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [1, 1], 10, 5, 5)).Message, StringComparison.Ordinal);

        static (double, double) Pair(ExponentialHistogram h) => (h.Min, h.Max);
    }

    /// <summary>
    /// The bucket ending at 2^16 is the one bucket whose values may lie above it (a tracker counts every larger value
    /// there), at every scale, whether it is the only counted bucket or the lowest below others'; every other bucket,
    /// alone or not, holds values within its bounds.
    /// </summary>
    [Theory]
    [InlineData(-4)]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(8)]
    public void Create_OnlyTheBucketEndingAt2To16_MayHoldLargerValues(int scale)
    {
        long top = TopIndex(scale);
        Assert.Equal(65536, ExponentialLayout.UpperBound(top, scale));
        ExponentialHistogram clamped = ExponentialHistogram.Create(scale, 0, top, [2], 1.3e6, 3e5, 1e6);
        Assert.Equal((3e5, 1e6), (clamped.Min, clamped.Max));
        long far = ((32L << (scale + 4)) >> 4) - 1; // the bucket ending at 2^32: a value of its own there, from a producer that does not clamp
        long[] counts = new long[far - top + 1];
        (counts[0], counts[^1]) = (2, 1);
        Assert.Equal(3e5, ExponentialHistogram.Create(scale, 0, top, counts, 1.3e6 + 4294967296, 3e5, 4294967296).Min);

        ArgumentOutOfRangeException below = Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(scale, 0, top - 1, [2], 1.3e6, 3e5, 1e6));
        Assert.Equal("min", below.ParamName);
        Assert.Equal("max", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(scale, 0, top, [1], 0.5, 0.5, 0.5)).ParamName); // no value below its bucket, even there
    }

    [Fact]
    public void Create_EdgeBucketsOfTheDoubles_AreAcceptedAndEstimateWithinMinMax()
    {
        // Scale 3: 2^-1074 is in bucket -1074 * 8 - 1, double.MaxValue in 1024 * 8 - 1; leading and trailing zeros are trimmed first.
        ExponentialHistogram low = ExponentialHistogram.Create(3, 0, -8595, [0, 0, 1, 0], double.Epsilon, double.Epsilon, double.Epsilon);
        Assert.Equal(-8593, low.Offset);
        Assert.Equal(double.Epsilon, low.ValueAtQuantile(0.5));
        ExponentialHistogram high = ExponentialHistogram.Create(3, 0, 8191, [1], double.MaxValue, double.MaxValue, double.MaxValue);
        Assert.Equal(double.MaxValue, high.ValueAtQuantile(0.5));
        Assert.Equal(63, ExponentialHistogram.Create(8, 0, 262_143, [1], double.MaxValue, double.MaxValue, double.MaxValue).Downscale(-4).Offset);
        Assert.Equal(-68, ExponentialHistogram.Create(8, 0, -274_945, [1], double.Epsilon, double.Epsilon, double.Epsilon).Downscale(-4).Offset);
        Assert.Equal(-68, ExponentialHistogram.Create(-4, 0, -68, [1], double.Epsilon, double.Epsilon, double.Epsilon).Offset);

        // The ends of OpenTelemetry's range: at 20, 2^-1074 is in bucket -1074 * 2^20 - 1 and double.MaxValue in
        // 1024 * 2^20 - 1; at -11 every positive double is in bucket -1, (2^-2048, 1], or 0, (1, 2^2048].
        ExponentialHistogram fine = ExponentialHistogram.Create(20, 0, (1024L << 20) - 1, [1], double.MaxValue, double.MaxValue, double.MaxValue);
        Assert.Equal(0, fine.Downscale(-11).Offset);
        Assert.Equal(-1, ExponentialHistogram.Create(20, 0, -(1074L << 20) - 1, [1], double.Epsilon, double.Epsilon, double.Epsilon).Downscale(-11).Offset);
        Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(20, 0, 1024L << 20, [1], 1, 1, 1)).ParamName);
        Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(20, 0, -(1074L << 20) - 2, [1], 1, 1, 1)).ParamName);
        ExponentialHistogram coarsest = ExponentialHistogram.Create(-11, 0, -1, [1, 1], double.MaxValue, double.Epsilon, double.MaxValue);
        Assert.Equal((double.Epsilon, double.MaxValue), (coarsest.ValueAtQuantile(0), coarsest.ValueAtQuantile(1)));
        Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(-11, 0, -2, [1], 1, 1, 1)).ParamName);
        Assert.Equal("offset", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(-11, 0, 1, [1], 1, 1, 1)).ParamName);

        // Nothing counted: the offset, minimum and maximum are not looked at.
        ExponentialHistogram none = ExponentialHistogram.Create(3, 0, long.MaxValue, [0, 0], 0, double.NaN, -1);
        Assert.Equal(0, none.Count);
        Assert.Equal(0, none.Offset);
        Assert.Equal((0.0, 0.0), (none.Min, none.Max));
        Assert.Equal(0, none.ValueAtQuantile(0.5));
        Assert.Equal(5, ExponentialHistogram.Merge(none, ExponentialHistogram.Create(3, 0, 8191, [5], double.MaxValue, double.MaxValue, double.MaxValue)).Count);
    }

    [Fact]
    public void Create_Downscale_Merge_ArgumentRules()
    {
        Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(-12, 0, 0, [], 0, 0, 0)).ParamName);
        Assert.Equal("zeroCount", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, -1, 0, [], 0, 0, 0)).ParamName);
        Assert.Equal("zeroThreshold", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [], 0, 0, 0, -1)).ParamName);
        ArgumentOutOfRangeException infinite = Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 1, 0, [], 0, 0, 0, double.PositiveInfinity));
        Assert.Equal("zeroThreshold", infinite.ParamName);
        Assert.StartsWith("The zero threshold must be finite and not negative.", infinite.Message, StringComparison.Ordinal);
        ExponentialHistogram trimmed = ExponentialHistogram.Create(3, 0, 0, [0, 1, 2, 0, 0], 3, 1.1, 1.3);
        Assert.Equal(1, trimmed.Offset);
        Assert.Equal([1, 2], trimmed.Counts.ToArray());

        Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => trimmed.Downscale(4)).ParamName);
        Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => trimmed.Downscale(-12)).ParamName);
        Assert.Equal(-11, trimmed.Downscale(-11).Scale); // OpenTelemetry's range: -11 to 20
        ExponentialHistogram empty = ExponentialHistogram.Create(3, 2, 0, [], 0, 0, 0);
        Assert.Equal((0, 2L), (empty.Downscale(0).Scale, empty.Downscale(0).ZeroCount));

        Assert.Equal("a", Assert.Throws<ArgumentNullException>(() => ExponentialHistogram.Merge(null!, trimmed)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentNullException>(() => ExponentialHistogram.Merge(trimmed, null!)).ParamName);
    }

    /// <summary>Downscaling a finer histogram gives exactly the histogram recorded at the coarser scale, and merging adds up.</summary>
    [Property(MaxTest = 60)]
    public Property Merge_AcrossScales_EqualsRecordingAtTheCoarserScale() =>
        Prop.ForAll(
            Gen.Choose(0, 6).Two().ToArbitrary(),
            Gen.Choose(0, 1_000_000).Select(x => x == 0 ? 0 : Math.Exp((x / 1e6 * 30) - 20)).ArrayOf().ToArbitrary(),
            (scales, values) =>
            {
                (int fine, int coarse) = scales.Item1 >= scales.Item2 ? scales : (scales.Item2, scales.Item1);
                int half = values.Length / 2;
                ExponentialHistogram a = LockFreeBatchStatsHistogramTests.Record(values[..half], fine);
                ExponentialHistogram b = LockFreeBatchStatsHistogramTests.Record(values[half..], coarse);
                ExponentialHistogram merged = ExponentialHistogram.Merge(a, b);
                ExponentialHistogram direct = LockFreeBatchStatsHistogramTests.Record(values, coarse);
                return merged.Scale == coarse && merged.Offset == direct.Offset && merged.Counts.SequenceEqual(direct.Counts)
                    && merged.ZeroCount == direct.ZeroCount && merged.Count == values.Length
                    && merged.Min == direct.Min && merged.Max == direct.Max
                    && Math.Abs(merged.Sum - direct.Sum) <= 1e-12 * Math.Max(1, direct.Sum);
            });

    [Fact]
    public void Merge_WithAnEmptyHistogram_KeepsTheOthersBucketsSumMinAndMax()
    {
        ExponentialHistogram some = ExponentialHistogram.Create(3, 0, 5, [2, 0, 1], 4.5, 1.5, 1.9);
        ExponentialHistogram nothing = ExponentialHistogram.Create(3, 0, 0, [], 0, 0, 0);
        foreach (ExponentialHistogram merged in new[] { ExponentialHistogram.Merge(some, nothing), ExponentialHistogram.Merge(nothing, some) })
        {
            Assert.Equal(5, merged.Offset);
            Assert.Equal([2, 0, 1], merged.Counts.ToArray());
            Assert.Equal((3L, 4.5, 1.5, 1.9), (merged.Count, merged.Sum, merged.Min, merged.Max));
        }

        ExponentialHistogram zeros = ExponentialHistogram.Create(3, 4, 0, [], 0, 0, 0); // counted, but only zeros
        foreach (ExponentialHistogram both in new[] { ExponentialHistogram.Merge(some, zeros), ExponentialHistogram.Merge(zeros, some) })
        {
            Assert.Equal((7L, 4L, 0.0, 1.9), (both.Count, both.ZeroCount, both.Min, both.Max)); // a sum of 0 is not "empty"
        }
    }

    /// <summary>
    /// A wider zero threshold that reaches the bucket ending at 2^16 takes its values above 2^16 into the zero bucket:
    /// the threshold widens to the maximum (not to 2^16), and with it every bucket that maximum reaches into, so the
    /// merge passes <see cref="ExponentialHistogram.Create"/>'s checks (the threshold is then at least every value in
    /// the zero bucket).
    /// </summary>
    [Fact]
    public void Merge_AWideZeroThresholdTakingTheTopBucket_WidensToTheMaximum()
    {
        var stats = new LockFreeBatchStats(10, 0);
        stats.Update(1e6, 1, 0, 1e6);
        stats.Update(3e5, 1, 0, 3e5);
        ExponentialHistogram tracker = stats.GetHistograms().ProcessingTime; // both in the bucket ending at 2^16

        ExponentialHistogram onlyZeros = ExponentialHistogram.Create(3, 1, 0, [], 5e4, 5e4, 5e4, zeroThreshold: 7e4); // 7e4 is above that bucket's lower bound 2^15.875
        ExponentialHistogram all = ExponentialHistogram.Merge(tracker, onlyZeros);
        Assert.Equal((3L, 0, 1e6), (all.ZeroCount, all.Counts.Length, all.ZeroThreshold));
        AssertAccepted(all);

        double high = 2e6; // its own bucket at scale 3, (2^20.875, 2^21], above the tracker's
        ExponentialHistogram foreign = ExponentialHistogram.Create(3, 0, TopIndex(3) + 40, [1], high, high, high, zeroThreshold: 7e4);
        foreach (ExponentialHistogram merged in new[] { ExponentialHistogram.Merge(tracker, foreign), ExponentialHistogram.Merge(foreign, tracker) })
        {
            Assert.Equal((3L, 0, Math.ScaleB(1, 21)), (merged.ZeroCount, merged.Counts.Length, merged.ZeroThreshold)); // widened to 2e6, then to the upper bound of the bucket 2e6 is in
            Assert.Equal((3e5, high), (merged.Min, merged.Max));
            AssertAccepted(merged);
        }

        // The 2^16 bucket widens it even when neither the first bucket to join nor the highest counted one: a tracker
        // that also saw 1 s, and the foreign bucket above.
        stats.Update(1, 1, 0, 1);
        ExponentialHistogram wider = stats.GetHistograms().ProcessingTime;
        ExponentialHistogram both = ExponentialHistogram.Merge(wider, foreign);
        Assert.Equal((4L, 0, Math.ScaleB(1, 21)), (both.ZeroCount, both.Counts.Length, both.ZeroThreshold)); // not 7e4 with 2e6's bucket left
        AssertAccepted(both);
    }

    /// <summary>
    /// At scale -10 bucket 0 is (1, 2^1024]: its upper bound is +∞ in doubles, so a wider zero threshold that cuts
    /// through it stops at the maximum, which bounds every value the zero bucket takes in, and the merge stays acceptable.
    /// </summary>
    [Fact]
    public void Merge_ThresholdCuttingABucketEndingBeyondTheDoubles_WidensToTheMaximum()
    {
        ExponentialHistogram wide = ExponentialHistogram.Create(-10, 1, 0, [], 0.5, 0.5, 0.5, zeroThreshold: 2);
        ExponentialHistogram counted = ExponentialHistogram.Create(-10, 0, 0, [2], 7, 3, 4);
        foreach (ExponentialHistogram merged in new[] { ExponentialHistogram.Merge(wide, counted), ExponentialHistogram.Merge(counted, wide) })
        {
            Assert.Equal((3L, 4.0, 0), (merged.ZeroCount, merged.ZeroThreshold, merged.Counts.Length));
            AssertAccepted(merged);
        }
    }

    /// <summary>
    /// Two scale-0 histograms binned by hand with random zero thresholds (bucket i is (2^i, 2^(i+1)]), merged: the
    /// result equals binning the union against the wider threshold, widened to the upper bound of a counted bucket it
    /// cuts through.
    /// </summary>
    [Property(MaxTest = 300)]
    public Property Merge_RandomZeroThresholds_EqualsBinningTheUnionAgainstTheWiderThreshold() =>
        Prop.ForAll(
            Gen.Elements(0.0, 0.25, 1, 3).Or(Gen.Choose(0, 1_000_000).Select(x => Math.Exp((x / 1e6 * 8) - 4))).Two().ToArbitrary(),
            Gen.Choose(0, 1_000_000).Select(x => Math.Exp((x / 1e6 * 10) - 5)).ArrayOf().Two().ToArbitrary(),
            (thresholds, values) =>
            {
                (double za, double zb) = thresholds;
                ExponentialHistogram a = ByHand(values.Item1, za), b = ByHand(values.Item2, zb);
                ExponentialHistogram merged = ExponentialHistogram.Merge(a, b);

                double z = Math.Max(za, zb);
                var counted = values.Item1.Where(v => v > za).Concat(values.Item2.Where(v => v > zb)).ToArray();
                if (za != zb && z > 0 && counted.Any(v => Bucket(v) == Bucket(z) && z < Math.ScaleB(1, Bucket(z) + 1)))
                {
                    z = Math.ScaleB(1, Bucket(z) + 1); // a counted bucket the wider threshold cuts through
                }

                long[] expected = new long[80];
                foreach (double v in counted.Where(v => za == zb || v > z))
                {
                    expected[Bucket(v) + 40]++;
                }

                long[] actual = new long[80];
                for (int i = 0; i < merged.Counts.Length; i++)
                {
                    actual[merged.Offset + i + 40] = merged.Counts[i];
                }

                return (merged.ZeroThreshold == (za == zb ? za : z)).Label("threshold")
                    .And((merged.Count == values.Item1.Length + values.Item2.Length).Label("count"))
                    .And((merged.ZeroCount == merged.Count - expected.Sum()).Label("zero count"))
                    .And(actual.SequenceEqual(expected).Label("buckets"))
                    .And((merged.Counts.IsEmpty || (merged.Counts[0] != 0 && merged.Counts[^1] != 0)).Label("trimmed"));
            });

    [Fact]
    public void Merge_DifferentZeroThresholds_MovesTheBucketsWithinTheWiderIntoTheZeroBucket()
    {
        // Scale 0: bucket i is (2^i, 2^(i+1)]. b's threshold 1.5 cuts through (1, 2], which widens it to 2.
        ExponentialHistogram a = ExponentialHistogram.Create(0, 0, -2, [3, 0, 5, 0, 1], 12, 0.3, 7);
        ExponentialHistogram b = ExponentialHistogram.Create(0, 2, 1, [4], 13, 0, 3, zeroThreshold: 1.5);
        foreach (ExponentialHistogram merged in new[] { ExponentialHistogram.Merge(a, b), ExponentialHistogram.Merge(b, a) })
        {
            Assert.Equal(2, merged.ZeroThreshold);
            Assert.Equal(2 + 3 + 5, merged.ZeroCount);
            Assert.Equal(1, merged.Offset);
            Assert.Equal([4, 1], merged.Counts.ToArray());
            Assert.Equal(15, merged.Count);
            Assert.Equal(25, merged.Sum);
            Assert.Equal((0, 7), (merged.Min, merged.Max));
        }

        // Equal thresholds: nothing moves, even a bucket the threshold cuts through (as Prometheus adds native histograms).
        ExponentialHistogram c = ExponentialHistogram.Create(0, 0, 0, [1], 1.8, 1.8, 1.8, zeroThreshold: 1.5);
        ExponentialHistogram same = ExponentialHistogram.Merge(c, ExponentialHistogram.Create(0, 1, 0, [], 0, 0, 0, zeroThreshold: 1.5));
        Assert.Equal((1.5, 1L, 0L), (same.ZeroThreshold, same.ZeroCount, same.Offset));
        Assert.Equal([1], same.Counts.ToArray());

        // An empty histogram with a wider threshold still takes the other's buckets below it.
        ExponentialHistogram wide = ExponentialHistogram.Merge(a, ExponentialHistogram.Create(0, 0, 0, [], 0, 0, 0, zeroThreshold: 4));
        Assert.Equal((4.0, 8L, 2L, 1), (wide.ZeroThreshold, wide.ZeroCount, wide.Offset, wide.Counts.Length));

        // Every bucket within the wider threshold: no buckets left, and the offset of an empty histogram (0).
        ExponentialHistogram all = ExponentialHistogram.Merge(ExponentialHistogram.Create(0, 0, 3, [5], 60, 9, 15), ExponentialHistogram.Create(0, 0, 0, [], 0, 0, 0, zeroThreshold: 100));
        Assert.Equal((100.0, 5L, 0L, 0), (all.ZeroThreshold, all.ZeroCount, all.Offset, all.Counts.Length));
    }

    /// <summary>
    /// What <see cref="ExponentialHistogram.Merge"/> and <see cref="ExponentialHistogram.Downscale"/> return from histograms
    /// <see cref="ExponentialHistogram.Create"/> accepts, Create accepts too, so an aggregator can forward a merge (as
    /// JSON) to the next one. The histograms come from producers of every kind: trackers' layout (values above 2^16
    /// counted in the bucket ending there) or exact binning of every value, any scale from -11 to 20 (lowered, as the
    /// OpenTelemetry SDK lowers its own, until 4,096 buckets span the values), zero thresholds from 0 to 7e4, values
    /// from 1e-18 to 5e8.
    /// </summary>
    [Property(MaxTest = 300)]
    public Property MergeAndDownscale_OfAcceptedHistograms_AreAccepted()
    {
        Gen<ExponentialHistogram> producer =
            from scale in Gen.Choose(ExponentialHistogram.MinScale, ExponentialHistogram.MaxScale)
            from zeroThreshold in Gen.Elements(0.0, Math.ScaleB(1, -128), Math.ScaleB(1, -24), 1e-3, 0.3, 5, 7e4)
            from clamps in Gen.Elements(true, false)
            from values in Gen.Choose(0, 1_000_000).Select(x => x < 50_000 ? 0 : Math.Exp((x / 1e6 * 60) - 40)).ArrayOf()
            select Produce(values, scale, zeroThreshold, clamps);
        return Prop.ForAll(
            (from a in producer from b in producer from c in producer select (a, b, c)).ToArbitrary(),
            t =>
            {
                ExponentialHistogram merged = ExponentialHistogram.Merge(ExponentialHistogram.Merge(t.a, t.b), t.c);
                AssertAccepted(merged);
                for (int s = merged.Scale; s >= ExponentialHistogram.MinScale; s--)
                {
                    AssertAccepted(merged.Downscale(s));
                }

                AssertAccepted(ExponentialHistogram.Merge(merged.Downscale(ExponentialHistogram.MinScale), t.a));
                return merged.Count == t.a.Count + t.b.Count + t.c.Count;
            });

        // Bins every value (exactly, or in the bucket holding 2^16 above that when it clamps); Create must accept it.
        static ExponentialHistogram Produce(double[] values, int scale, double zeroThreshold, bool clamps)
        {
            long[] indexes;
            do
            {
                indexes = [.. values.Where(v => v > zeroThreshold).Select(v => clamps && v > 65536 ? TopIndex(scale) : AnyIndex(v, scale))];
            }
            while (indexes.Length > 0 && indexes.Max() - indexes.Min() >= 4096 && --scale > int.MinValue);

            long offset = indexes.Length == 0 ? 0 : indexes.Min();
            long[] counts = new long[indexes.Length == 0 ? 0 : indexes.Max() - offset + 1];
            foreach (long i in indexes)
            {
                counts[i - offset]++;
            }

            return ExponentialHistogram.Create(scale, values.Length - indexes.Length, offset, counts, values.Sum(),
                values.Length == 0 ? 0 : values.Min(), values.Length == 0 ? 0 : values.Max(), zeroThreshold);
        }
    }

    /// <summary>
    /// The same closure over any parts <see cref="ExponentialHistogram.Create"/> accepts, not only a producer's: random
    /// scales, thresholds, a few buckets near 1 ms or near 2^16 and extremes at, inside or beyond their bounds, kept
    /// when Create accepts them. A rule that let a bucket hold values beyond its bounds (other than the one ending at
    /// 2^16) would fail here, once a merge puts another bucket beside it.
    /// </summary>
    [Property(MaxTest = 500)]
    public Property MergeAndDownscale_OfAnyAcceptedParts_AreAccepted()
    {
        Gen<ExponentialHistogram> accepted =
            (from scale in Gen.Choose(ExponentialHistogram.MinScale, ExponentialHistogram.MaxScale)
             from zeroThreshold in Gen.Elements(0.0, Math.ScaleB(1, -24), 1e-3, 7e4)
             from zeroCount in Gen.Elements(0L, 0L, 1L, 3L)
             from nearTop in Gen.Elements(true, false)
             from shift in Gen.Choose(-3, 3)
             from counts in Gen.Elements(0L, 1L, 2L).ArrayOf().Select(a => a.Take(5).ToArray())
             from picks in Gen.Choose(0, 7).Two()
             select TryCreate(scale, zeroThreshold, zeroCount, (nearTop ? TopIndex(scale) : AnyIndex(1e-3, scale)) + shift, counts, picks))
            .Where(h => h is not null)
            .Select(h => h!);
        return Prop.ForAll(
            (from a in accepted from b in accepted select (a, b)).ToArbitrary(),
            t =>
            {
                ExponentialHistogram merged = ExponentialHistogram.Merge(t.a, t.b);
                AssertAccepted(merged);
                for (int s = merged.Scale; s >= ExponentialHistogram.MinScale; s--)
                {
                    AssertAccepted(merged.Downscale(s));
                }

                return merged.Count == t.a.Count + t.b.Count;
            });

        // Extremes from the buckets' bounds, a little inside or outside, zero, or far away; null when Create refuses.
        static ExponentialHistogram? TryCreate(int scale, double zeroThreshold, long zeroCount, long offset, long[] counts, (int, int) picks)
        {
            double low = ExponentialLayout.LowerBound(offset, scale), high = ExponentialLayout.UpperBound(offset + Math.Max(counts.Length, 1) - 1, scale);
            double[] candidates = [0, zeroThreshold, low * 0.9, low * 1.01, high * 0.99, high * 1.1, 1e6, 1e-9];
            try
            {
                return ExponentialHistogram.Create(scale, zeroCount, offset, counts, 1, candidates[picks.Item1], candidates[picks.Item2], zeroThreshold);
            }
            catch (ArgumentOutOfRangeException)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Trackers of several "processes", merged: every quantile estimate is within the documented relative bound of
    /// numpy's exact quantile of the union of their samples.
    /// </summary>
    [Property(MaxTest = 40)]
    public Property ValueAtQuantile_MergedTrackers_WithinTheBoundOfTheExactQuantile() =>
        Prop.ForAll(
            Gen.Choose(0, 6).ToArbitrary(),
            Gen.Choose(1, 1_000_000).Select(x => Math.Exp((x / 1e6 * 12) - 9)).ArrayOf().Where(a => a.Length > 0).ArrayOf().Where(a => a.Length > 0).ToArbitrary(),
            (scale, processes) =>
            {
                ExponentialHistogram merged = processes.Select(p => LockFreeBatchStatsHistogramTests.Record(p, scale)).Aggregate(ExponentialHistogram.Merge);
                double[] union = [.. processes.SelectMany(p => p).Order()];
                if (merged.ValueAtQuantile(0) != union[0] || merged.ValueAtQuantile(1) != union[^1])
                {
                    return false; // the first and last order statistics are the exact minimum and maximum
                }

                double bound = Math.Pow(2, Math.Pow(2, -(scale + 1))) - 1;
                foreach (double q in new[] { 0, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1 })
                {
                    double exact = ReferenceStats.NumpyPercentile(union, q * 100);
                    double estimate = merged.ValueAtQuantile(q);
                    if (Math.Abs(estimate - exact) > (bound * exact) + 1e-15)
                    {
                        return false;
                    }
                }

                return true;
            });

    [Fact]
    public void ValueAtQuantile_BadQuantileOrEmpty()
    {
        ExponentialHistogram empty = ExponentialHistogram.Create(3, 0, 0, [], 0, 0, 0);
        Assert.Equal(0, empty.ValueAtQuantile(0.5));
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => empty.ValueAtQuantile(1.5));
        Assert.Equal("q", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => empty.ValueAtQuantile(double.NaN));
        Assert.Equal("counts", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(3, 0, 0, [1, -1], 0, 0, 0)).ParamName);
        Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialHistogram.Create(21, 0, 0, [], 0, 0, 0)).ParamName);
        ExponentialHistogram zeros = ExponentialHistogram.Create(3, 5, 0, [0, 0], 0, 0, 0);
        Assert.Equal(0, zeros.ValueAtQuantile(0.99));
        Assert.Equal(5, zeros.Count);
        Assert.Equal(0, zeros.Counts.Length);
    }

    [Fact]
    public void ValueAtQuantile_RanksInTheZeroBucket_AreZero()
    {
        ExponentialHistogram h = ExponentialHistogram.Create(0, 5, 0, [5], 7.5, 0, 2); // five zeros, five values in (1, 2]
        Assert.Equal(0, h.ValueAtQuantile(0.25)); // ranks 2 and 3: zeros
        Assert.Equal(Math.Sqrt(2) / 2, h.ValueAtQuantile(0.5), 1e-15); // halfway from rank 4 (0) to rank 5 (the midpoint of (1, 2])
        Assert.Equal(Math.Sqrt(2), h.ValueAtQuantile(0.75), 1e-15);
    }

    [Fact]
    public void ValueAtQuantile_OrderStatistics_AreClampedToMinAndMaxOneByOne()
    {
        // Scale 0: five values of 1.9 in (1, 2] (midpoint √2, below the minimum) and five of 3 in (2, 4] (midpoint 2√2).
        ExponentialHistogram h = ExponentialHistogram.Create(0, 0, 0, [5, 5], 24.5, 1.9, 3);
        Assert.Equal(1.9, h.ValueAtQuantile(1 / 9.0 * 4)); // rank 4: √2 clamped up to the minimum
        Assert.Equal(1.9 + (0.5 * ((2 * Math.Sqrt(2)) - 1.9)), h.ValueAtQuantile(0.5), 1e-15); // ranks 4 and 5 (unclamped midpoints give halfway from √2, 13 % off the exact 2.45)
        Assert.Equal(2 * Math.Sqrt(2), h.ValueAtQuantile(6 / 9.0), 1e-15);

        // Ranks in the zero bucket read as the minimum when it is above 0 (a value at or below the zero threshold).
        ExponentialHistogram zeros = ExponentialHistogram.Create(3, 3, 0, [2], 3, 1e-9, 1, ExponentialLayout.MinValue);
        Assert.Equal(1e-9, zeros.ValueAtQuantile(0.5));
    }

    [Theory]
    [InlineData(-4, 0, 16)]
    [InlineData(-4, -2, -16)]
    [InlineData(-2, 0, 4)]
    [InlineData(-2, 3, 16)]
    [InlineData(-1, -3, -4)]
    [InlineData(0, 5, 6)]
    [InlineData(0, -25, -24)]
    [InlineData(3, 7, 1)]
    [InlineData(3, -9, -1)]
    public void UpperBound_AtEveryKindOfScale_IsTwoToTheIndexPlusOneOverTwoToTheScale(int scale, long index, int exponentOfTheBound) =>
        Assert.Equal(Math.ScaleB(1, exponentOfTheBound), ExponentialHistogram.Create(scale, 0, 0, [], 0, 0, 0).UpperBound(index));

    [Theory]
    [InlineData(-11)]
    [InlineData(-4)]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(20)]
    public void UpperBound_IndexesBeyondTheDoubles_AreInfinityOrZero(int scale)
    {
        ExponentialHistogram h = ExponentialHistogram.Create(scale, 0, 0, [], 0, 0, 0);
        foreach (long index in new[] { long.MaxValue, long.MaxValue - 1, 5_000_000_000, 1L << 48, (1L << 48) + 7, 1L << 40 })
        {
            Assert.Equal(double.PositiveInfinity, h.UpperBound(index));
            Assert.Equal(0, h.UpperBound(-index));
        }

        Assert.Equal(0, h.UpperBound(long.MinValue));
        Assert.Equal(Math.Pow(2, Math.ScaleB(1, -scale)), h.UpperBound(0)); // a near index keeps its bound (2^2048 at -11: +∞ too)
        Assert.Equal(scale >= 0 ? 0.5 : Math.ScaleB(1, -(1 << -scale)), h.UpperBound(-(1L << Math.Max(scale, 0)) - 1)); // the bucket ending at 2^-1 (at 2^-2^-scale below scale 0)
    }

    [Fact]
    public void ToString_ShowsTheParts()
    {
        ExponentialHistogram h = ExponentialHistogram.Create(3, 2, -80, [0, 4, 0, 1, 0], 1.25, 1e-8, 0.0625, ExponentialLayout.MinValue);
        Assert.Equal("ExponentialHistogram { Scale = 3, Count = 7, ZeroCount = 2, Sum = 1.25, Min = 1E-08, Max = 0.0625, Buckets = 3 from index -79 }", h.ToString());
        ExponentialHistogram empty = ExponentialHistogram.Create(0, 0, 5, [], 0, 0, 0);
        Assert.Equal("ExponentialHistogram { Scale = 0, Count = 0, ZeroCount = 0, Sum = 0, Min = 0, Max = 0, Buckets = 0 from index 0 }", empty.ToString());
        Assert.Equal($"BatchStatsHistograms {{ ProcessingTime = {h}, QueueTime = {empty}, Latency = {h} }}", new BatchStatsHistograms(h, empty, h).ToString());
    }

    [Fact]
    public void HistogramSet_ArgumentRules_NameTheNullSeriesOrSet()
    {
        ExponentialHistogram h = ExponentialHistogram.Create(3, 1, 2, [4], 5, 0.0, 1.25);
        Assert.Equal("processingTime", Assert.Throws<ArgumentNullException>(() => new BatchStatsHistograms(null!, h, h)).ParamName);
        Assert.Equal("queueTime", Assert.Throws<ArgumentNullException>(() => new BatchStatsHistograms(h, null!, h)).ParamName);
        Assert.Equal("latency", Assert.Throws<ArgumentNullException>(() => new BatchStatsHistograms(h, h, null!)).ParamName);

        var set = new BatchStatsHistograms(h, h, h);
        Assert.Equal("a", Assert.Throws<ArgumentNullException>(() => BatchStatsHistograms.Merge(null!, set)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentNullException>(() => BatchStatsHistograms.Merge(set, null!)).ParamName);
        Assert.Equal(10, BatchStatsHistograms.Merge(set, set).QueueTime.Count);
    }

    /// <summary>Create accepts the parts of <paramref name="h"/> and gives the same histogram back.</summary>
    private static void AssertAccepted(ExponentialHistogram h)
    {
        ExponentialHistogram again = ExponentialHistogram.Create(h.Scale, h.ZeroCount, h.Offset, h.Counts, h.Sum, h.Min, h.Max, h.ZeroThreshold);
        Assert.Equal(h.ToString(), again.ToString());
        Assert.Equal(h.ZeroThreshold, again.ZeroThreshold);
        Assert.True(h.Counts.SequenceEqual(again.Counts));
    }

    /// <summary>The bucket that holds 2^16 at <paramref name="scale"/>: ceil(16 · 2^scale) - 1, the one ending there from scale -4 up.</summary>
    private static long TopIndex(int scale) => scale >= 0 ? (16L << scale) - 1 : (long)Math.Ceiling(Math.ScaleB(16, scale)) - 1;

    /// <summary>
    /// The bucket of <paramref name="v"/> at any scale: exact up to scale 8, by a logarithm above (exact integer
    /// powers of 2^20 digits would be too slow; Create allows a producer's logarithm its slack).
    /// </summary>
    private static long AnyIndex(double v, int scale) =>
        scale > 8 ? (long)Math.Ceiling(Math.Log2(v) * Math.ScaleB(1, scale)) - 1 : scale >= 0 ? ExponentialLayoutTests.ExactIndex(v, scale) : Bucket(v) >> -scale;

    /// <summary>The scale-0 bucket of a positive value, from its exponent: 2^e is in bucket e - 1.</summary>
    private static int Bucket(double v) => Math.ILogB(v) - (Math.ScaleB(1, Math.ILogB(v)) == v ? 1 : 0);

    /// <summary>A scale-0 histogram of <paramref name="values"/>, binned one by one with <see cref="Bucket"/>.</summary>
    private static ExponentialHistogram ByHand(double[] values, double zeroThreshold)
    {
        long[] counts = new long[80];
        long zeros = 0;
        foreach (double v in values)
        {
            if (v <= zeroThreshold)
            {
                zeros++;
            }
            else
            {
                counts[Bucket(v) + 40]++;
            }
        }

        return ExponentialHistogram.Create(0, zeros, -40, counts, values.Sum(), values.Length == 0 ? 0 : values.Min(), values.Length == 0 ? 0 : values.Max(), zeroThreshold);
    }
}
