using System;
using System.Linq;
using BatchStats.Fast.Internal.Kernels;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="SampleSelect"/>: large series of every kind against a sort, and selection keys.
/// .ci/run runs it again with DOTNET_EnableAVX2=0 and DOTNET_EnableHWIntrinsic=0 (the Vector128 and scalar paths).
/// </summary>
public sealed class SampleSelectTests
{
    [Theory]
    [MemberData(nameof(KernelCases.LargeSeriesKinds), MemberType = typeof(KernelCases))]
    public void SampleSelect_LargeSeries_MatchesSortedReferenceAndLeavesInputAlone(string kind)
    {
        foreach (int n in new[] { SampleSelect.MinLength, 1500, 4099, 10_000, 100_003 })
        {
            double[] x = KernelCases.LargeSeries(kind, n);
            double[] original = (double[])x.Clone();
            double[] sorted = x.OrderBy(v => v).ToArray();
            int[] ks = KernelCases.EndAndTailRanks(n);
            double[] results = new double[ks.Length];
            SampleSelect.Select<double, DoubleAscending>(x, ks, results, System.Buffers.ArrayPool<double>.Shared);
            Assert.Equal(ks.Select(k => sorted[k]), results);
            Assert.Equal(original, x);
        }
    }

    /// <summary>
    /// Any set of up to ten ranks (the bracket path takes up to eight) of a series with few or many distinct values
    /// is the sorted series' element there, whether a bracket caught it or the rank fell back.
    /// </summary>
    [Property(MaxTest = 60)]
    public Property SampleSelect_AnyRanks_EqualTheSortedSeries() =>
        Prop.ForAll(
            Gen.Choose(SampleSelect.MinLength - 24, 6000).ToArbitrary(),
            Gen.Choose(1, 10).ToArbitrary(),
            Gen.Elements(2, 50, 1_000_000).ToArbitrary(),
            (n, rankCount, distinct) =>
            {
                var rng = new Random(n ^ (rankCount << 20) ^ distinct);
                double[] x = Enumerable.Range(0, n).Select(_ => rng.Next(distinct) / 3.0).ToArray();
                int[] ks = Enumerable.Range(0, rankCount).Select(i => i switch { 0 => 0, 1 => n - 1, _ => rng.Next(n) }).Distinct().Order().ToArray();
                double[] sorted = x.OrderBy(v => v).ToArray();
                double[] results = new double[ks.Length];
                SampleSelect.Select<double, DoubleAscending>(x, ks, results, System.Buffers.ArrayPool<double>.Shared);
                return ks.Select(k => sorted[k]).SequenceEqual(results);
            });

    /// <summary>
    /// On series without heavy duplicates the sample's brackets catch every rank, the ends included (a bracket that
    /// reaches the sample's first or last element is open there): no rank is selected over a copy of the series.
    /// Eight ranks is the most the bracket path takes; a series of exactly the bracket path's minimum length takes it.
    /// A median's bracket is closed on both sides (open, it would hold more than half of the series and overflow); at
    /// 100k, p90's and p95's brackets overlap, and the merged one, widened to p95's end, stays closed above.
    /// </summary>
    [Theory]
    [InlineData("uniform")]
    [InlineData("sorted")]
    [InlineData("reversed")]
    [InlineData("lognormal")]
    [InlineData("one-outlier")]
    public void SampleSelect_SeriesWithoutHeavyDuplicates_EveryRankCaughtByItsBracket(string kind)
    {
        foreach (int n in new[] { SampleSelect.MinLength, 10_000, 100_003 })
        {
            double[] x = KernelCases.LargeSeries(kind, n);
            double[] sorted = x.OrderBy(v => v).ToArray();
            int[][] rankSets = [KernelCases.EndAndTailRanks(n), [n / 2], [(n * 90) / 100, (n * 95) / 100]];
            foreach (int[] ks in rankSets)
            {
                double[] results = new double[ks.Length];
                int wholeSeries = SampleSelect.Select<double, DoubleAscending>(x, ks, results, System.Buffers.ArrayPool<double>.Shared);
                Assert.Equal(ks.Select(k => sorted[k]), results);
                Assert.Equal(0, wholeSeries);
            }
        }
    }

    /// <summary>
    /// Where a bracket cannot hold its values (one value fills it) the rank is selected over a copy of the whole
    /// series, exactly; so are the ranks of a short series and of more ranks than the bracket path takes.
    /// </summary>
    [Fact]
    public void SampleSelect_HeavyDuplicatesShortSeriesOrManyRanks_SelectOverTheWholeSeriesExactly()
    {
        var pool = System.Buffers.ArrayPool<double>.Shared;
        double[] equal = KernelCases.LargeSeries("all-equal", 100_003);
        int[] ks = [0, 50_001, 99_000];
        double[] results = new double[ks.Length];
        Assert.Equal(ks.Length, SampleSelect.Select<double, DoubleAscending>(equal, ks, results, pool));
        Assert.All(results, r => Assert.Equal(0.5, r));

        double[] shortSeries = KernelCases.LargeSeries("uniform", SampleSelect.MinLength - 1);
        Assert.Equal(2, SampleSelect.Select<double, DoubleAscending>(shortSeries, [0, 500], results, pool));
        Assert.Equal(shortSeries.Min(), results[0]);

        double[] uniform = KernelCases.LargeSeries("uniform", 10_000);
        int[] nine = [10, 20, 30, 40, 50, 60, 70, 80, 90];
        double[] nineResults = new double[nine.Length];
        Assert.Equal(nine.Length, SampleSelect.Select<double, DoubleAscending>(uniform, nine, nineResults, pool));
        double[] sorted = uniform.OrderBy(v => v).ToArray();
        Assert.Equal(nine.Select(k => sorted[k]), nineResults);
    }

    [Fact]
    public void SampleSelect_SelectionKeys_FindsThreshold()
    {
        var rng = new Random(9);
        var keys = Enumerable.Range(0, 50_000).Select(i => new Internal.Kernels.SelectionKey(rng.Next(1000), i)).ToArray();
        var sorted = keys.OrderBy(k => k.Timestamp).ThenBy(k => k.Position).ToArray();
        var result = new Internal.Kernels.SelectionKey[1];
        SampleSelect.Select<Internal.Kernels.SelectionKey, Internal.Kernels.SelectionKeyAscending>(keys, [40_000], result, System.Buffers.ArrayPool<Internal.Kernels.SelectionKey>.Shared);
        Assert.Equal(sorted[40_000], result[0]);
    }
}
