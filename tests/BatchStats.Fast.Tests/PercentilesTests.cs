using System;
using System.Linq;
using BatchStats.Fast.Internal.Kernels;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="Percentiles"/>: random series against numpy's formula on a sorted copy, and the cases numpy computed
/// (TestData/numpy_golden.json), bit for bit.
/// .ci/run runs it again with DOTNET_EnableAVX2=0 and DOTNET_EnableHWIntrinsic=0 (the Vector128 and scalar paths).
/// </summary>
public sealed class PercentilesTests
{
    [Property(MaxTest = 30)]
    public Property Percentiles_LargeRandomSeries_MatchSortedReference() =>
        Prop.ForAll(
            Gen.Choose(SampleSelect.MinLength, 20_000).ToArbitrary(),
            Gen.Choose(1, 1000).ToArbitrary(),
            (n, distinct) =>
            {
                var rng = new Random(n ^ distinct);
                double[] values = KernelCases.Series(n, n + distinct, r => r.Next(distinct) / 7.0);
                double[] ps = [0, 12.5, 50, 95, 99, 99.9, 100];
                double[] sorted = values.OrderBy(v => v).ToArray();
                double[] results = new double[ps.Length];
                Percentiles.Compute(values, ps, results, values.Min(), values.Max(), System.Buffers.ArrayPool<double>.Shared, System.Buffers.ArrayPool<int>.Shared);
                return ps.Select((p, i) => ReferenceStats.NumpyPercentile(sorted, p) == results[i]).All(ok => ok);
            });

    [Property(MaxTest = 200)]
    public Property Percentiles_RandomSeries_MatchSortedReference() =>
        Prop.ForAll(
            Gen.Choose(0, 1_000_000).Select(i => i / 1000.0).NonEmptyListOf().Select(l => l.ToArray()).ToArbitrary(),
            Gen.Choose(0, 100_000).Select(i => i / 1000.0).ArrayOf().Where(a => a.Length > 0).ToArbitrary(),
            (values, ps) =>
            {
                double[] sorted = values.OrderBy(v => v).ToArray();
                double[] results = new double[ps.Length];
                Percentiles.Compute((double[])values.Clone(), ps, results, values.Min(), values.Max(), System.Buffers.ArrayPool<double>.Shared, System.Buffers.ArrayPool<int>.Shared);
                return ps.Select((p, i) => BitConverter.DoubleToInt64Bits(ReferenceStats.NumpyPercentile(sorted, p)) == BitConverter.DoubleToInt64Bits(results[i])).All(ok => ok);
            });

    /// <summary>
    /// The selection each series gets: introselect in place (no scratch) below <see cref="Percentiles.SmallSeries"/>
    /// values or when a bound is unknown (NaN), the bucket select (which rents its counts) from there on with both
    /// bounds known. Both give the same ranks, so the choice is speed only; what it rents shows which one ran.
    /// </summary>
    [Theory]
    [InlineData(Percentiles.SmallSeries - 1, false, false, false)]
    [InlineData(Percentiles.SmallSeries, false, false, true)]
    [InlineData(4 * Percentiles.SmallSeries, true, false, false)]
    [InlineData(4 * Percentiles.SmallSeries, false, true, false)]
    public void SelectRanks_BucketSelectFromSmallSeriesOn_WhenBothBoundsAreKnown(int n, bool minUnknown, bool maxUnknown, bool bucketSelect)
    {
        double[] values = [.. Enumerable.Range(0, n).Select(i => (double)(i * 7919 % n))]; // 0 .. n-1 shuffled (7919 is prime)
        var doubles = new CountingPool<double>();
        var ints = new CountingPool<int>();
        var results = new double[3];
        Percentiles.SelectRanks(values, [0, n / 2, n - 1], results, minUnknown ? double.NaN : 0, maxUnknown ? double.NaN : n - 1, doubles, ints);
        Assert.Equal([0, n / 2, n - 1], results);
        Assert.Equal(bucketSelect, doubles.Rented + ints.Rented > 0);
    }

    [Fact]
    public void Compute_EmptySeries_EveryResultIsZero()
    {
        double[] results = [double.NaN, double.NaN, double.NaN];
        Percentiles.Compute([], [50, 95], results, double.NaN, double.NaN, new CountingPool<double>(), new CountingPool<int>());
        Assert.Equal([0, 0, double.NaN], results); // one result per percentile, the rest untouched
    }

    [Fact]
    public void GoldenFile_IsLoaded_HasCasesAndHistories()
    {
        Assert.True(Golden.File_.Cases.Count > 100);
        Assert.True(Golden.File_.Histories.Count >= 8);
    }

    [Theory]
    [MemberData(nameof(Golden.CaseNames), MemberType = typeof(Golden))]
    public void PercentilesCompute_NumpyCase_MatchesBitForBit(string name)
    {
        Golden.PercentileCase c = Golden.File_.Cases.Single(x => x.Name == name);
        double[] work = (double[])c.Values.Clone();
        double[] results = new double[c.Percentiles.Length];
        Percentiles.Compute(work, c.Percentiles, results, c.Values.Min(), c.Values.Max(), System.Buffers.ArrayPool<double>.Shared, System.Buffers.ArrayPool<int>.Shared);
        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal(BitConverter.DoubleToInt64Bits(c.Expected[i]), BitConverter.DoubleToInt64Bits(results[i]));
        }

        // The reference used elsewhere in the tests agrees with numpy too.
        double[] sorted = c.Values.OrderBy(x => x).ToArray();
        for (int i = 0; i < results.Length; i++)
        {
            Assert.Equal(c.Expected[i], ReferenceStats.NumpyPercentile(sorted, c.Percentiles[i]));
        }
    }
}
