using System;
using System.Collections.Generic;
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
