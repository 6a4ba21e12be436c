using System;
using System.Collections.Generic;
using System.Linq;
using BatchStats.Fast.Internal;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="PercentileBands"/>, the incremental reader's percentile state: random insert/remove sequences against a
/// sorted-list reference with numpy's formula, and a large series through bucket select.
/// .ci/run runs it again with DOTNET_EnableAVX2=0 and DOTNET_EnableHWIntrinsic=0.
/// </summary>
public sealed class PercentileBandsTests
{
    public sealed record BandOp(bool Insert, int Pick, double Value);

    public sealed record BandHistory(BandOp[] Ops)
    {
        public override string ToString() => string.Join(", ", Ops.Select(o => o.Insert ? $"+{o.Value}" : $"-#{o.Pick}"));
    }

    public static Arbitrary<BandHistory> BandHistories() =>
        (from ops in (from insert in Gen.Frequency((3, Gen.Constant(true)), (2, Gen.Constant(false)))
                      from pick in Gen.Choose(0, 1_000_000)
                      from value in Gen.OneOf(Gen.Choose(0, 5).Select(i => i * 0.5), Gen.Choose(0, 100_000).Select(i => i / 1000.0))
                      select new BandOp(insert, pick, value)).ArrayOf()
         select new BandHistory(ops)).ToArbitrary();

    [Property(MaxTest = 300, Arbitrary = [typeof(PercentileBandsTests)])]
    public void PercentileBands_RandomInsertsAndRemovals_ReadLikeNumpyOnTheSortedMultiset(BandHistory history)
    {
        var bands = new PercentileBands();
        var multiset = new List<double>();
        ReadOnlySpan<double> ps = WindowFigures.SeriesPercentiles;
        Span<double> got = stackalloc double[3];
        foreach (BandOp op in history.Ops)
        {
            if (op.Insert || multiset.Count == 0)
            {
                multiset.Add(op.Value);
                bands.Insert(op.Value);
            }
            else
            {
                int at = op.Pick % multiset.Count;
                bands.Remove(multiset[at]);
                multiset.RemoveAt(at);
            }

            if (multiset.Count == 0)
            {
                continue;
            }

            if (!bands.Covers(multiset.Count))
            {
                double[] copy = multiset.ToArray();
                bands.Rebuild(copy, copy.Min(), copy.Max(), ReaderPools.Shared);
            }

            Assert.True(bands.Covers(multiset.Count));
            bands.Read(multiset.Count, got);
            double[] sorted = multiset.Order().ToArray();
            for (int j = 0; j < ps.Length; j++)
            {
                double want = ReferenceStats.NumpyPercentile(sorted, ps[j]);
                Assert.True(BitConverter.DoubleToInt64Bits(want) == BitConverter.DoubleToInt64Bits(got[j]), $"p{ps[j]} of {sorted.Length}: {want:R} vs {got[j]:R}");
            }
        }

    }

    /// <summary>
    /// Hundreds of inserts inside one band (copies of the median) grow it past the array it was built with, with no
    /// rebuild (the ranks stay covered): every read on the way equals numpy on the sorted values.
    /// </summary>
    [Fact]
    public void PercentileBands_ManyInsertsInsideABand_GrowItAndStayExact()
    {
        double[] values = Enumerable.Range(0, 1000).Select(i => i / 1000.0).ToArray();
        var bands = new PercentileBands();
        bands.Rebuild((double[])values.Clone(), 0, 0.999, ReaderPools.Shared);
        var multiset = new List<double>(values);
        Span<double> got = stackalloc double[3];
        for (int i = 0; i < 300; i++)
        {
            multiset.Add(0.5);
            bands.Insert(0.5);
            Assert.True(bands.Covers(multiset.Count), $"covered after {i + 1} inserts");
            bands.Read(multiset.Count, got);
            double[] sorted = multiset.Order().ToArray();
            Assert.Equal(ReferenceStats.NumpyPercentile(sorted, 50), got[0]);
            Assert.Equal(ReferenceStats.NumpyPercentile(sorted, 95), got[1]);
            Assert.Equal(ReferenceStats.NumpyPercentile(sorted, 99), got[2]);
        }

        Assert.Equal(1, bands.Rebuilds); // all of it incremental
    }

    [Fact]
    public void PercentileBands_LargeSeriesWithBucketSelect_MatchesSort()
    {
        var rng = new Random(3);
        double[] values = Enumerable.Range(0, 5000).Select(_ => Math.Round(rng.NextDouble() * 100, 1)).ToArray(); // many ties
        var bands = new PercentileBands();
        double[] work = (double[])values.Clone();
        bands.Rebuild(work, values.Min(), values.Max(), ReaderPools.Shared);
        Span<double> got = stackalloc double[3];
        bands.Read(values.Length, got);
        double[] sorted = values.Order().ToArray();
        Assert.Equal(ReferenceStats.NumpyPercentile(sorted, 50), got[0]);
        Assert.Equal(ReferenceStats.NumpyPercentile(sorted, 95), got[1]);
        Assert.Equal(ReferenceStats.NumpyPercentile(sorted, 99), got[2]);
    }
}
