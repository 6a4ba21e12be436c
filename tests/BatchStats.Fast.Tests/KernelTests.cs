using System;
using System.Linq;
using BatchStats.Fast.Internal.Kernels;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// The fused SIMD kernel and the introselect, on every length 0..300 and special values, for each instruction path.
/// .ci/run runs this class again with DOTNET_EnableAVX2=0 and DOTNET_EnableHWIntrinsic=0, so the dispatching
/// entry point is checked on the Vector128 and scalar paths too.
/// </summary>
public sealed class KernelTests
{
    /// <summary>SIMD and scalar sums may differ by summation order: at most this, relative (the documented bound is 1e-12).</summary>
    private const double SumTolerance = 1e-13;

    /// <summary>Instruction paths as ints (the enum is internal): 0 scalar, 1 Vector128, 2 Vector256.</summary>
    public static TheoryData<int> Paths() => new(0, 1, 2);

    private static double[] Series(int length, int seed, Func<Random, double> next)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => next(rng)).ToArray();
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Compute_EveryLength0To300_AgreesWithSequentialReference(int pathId)
    {
        var path = (FusedAggregate.Path)pathId;
        for (int length = 0; length <= 300; length++)
        {
            double[] x = Series(length, length, r => r.NextDouble() * 10);
            Aggregate a = FusedAggregate.Compute(x, path);
            Aggregate dispatched = FusedAggregate.Compute(x);
            double exact = ReferenceStats.ExactSum(x);
            double exactSquares = ReferenceStats.ExactSum(x.Select(v => v * v));
            Assert.True(SnapshotAssert.RelativelyClose(exact, a.Sum, SumTolerance), $"length {length}: sum {a.Sum:R} vs {exact:R}");
            Assert.True(SnapshotAssert.RelativelyClose(exactSquares, a.SumOfSquares, SumTolerance), $"length {length}: squares");
            Assert.True(SnapshotAssert.RelativelyClose(a.Sum, dispatched.Sum, SumTolerance), $"length {length}: dispatched");
            Assert.Equal(length == 0 ? double.PositiveInfinity : x.Min(), a.Min);
            Assert.Equal(length == 0 ? double.NegativeInfinity : x.Max(), a.Max);
            Assert.Equal(a.Min, dispatched.Min);
            Assert.Equal(a.Max, dispatched.Max);
        }
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public void Compute_SpecialValues_MinMaxExactOnEveryPath(int pathId)
    {
        var path = (FusedAggregate.Path)pathId;
        // The kernel's contract: no NaN (validated at record time), no -0.0 (the reader normalizes it).
        double[][] inputs =
        [
            [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 0.0, 1e-300, 0.0, 0.0, 0.0, 0.0, 0.0],
            [double.Epsilon, double.Epsilon * 2, 0, 1e-300, 1e300, double.MaxValue, 5e-324, 1, 2, 3, 4],
            Enumerable.Repeat(7.0, 33).ToArray(),
            [double.MaxValue, double.MaxValue, double.MaxValue, double.MaxValue, double.MaxValue, 1, 1, 1, 1],
        ];
        foreach (double[] x in inputs)
        {
            Aggregate a = FusedAggregate.Compute(x, path);
            Aggregate scalar = FusedAggregate.Compute(x, FusedAggregate.Path.Scalar);
            Assert.Equal(BitConverter.DoubleToInt64Bits(scalar.Min), BitConverter.DoubleToInt64Bits(a.Min));
            Assert.Equal(BitConverter.DoubleToInt64Bits(scalar.Max), BitConverter.DoubleToInt64Bits(a.Max));
            Assert.Equal(x.Min(), a.Min);
            Assert.Equal(x.Max(), a.Max);
        }

        Assert.False(double.IsNegative(FusedAggregate.Compute(inputs[0], path).Min));
        Assert.Equal(1e-300, FusedAggregate.Compute(inputs[1], path).Max);
        // Overflow of the sum is an honest +inf on every path, never NaN.
        Assert.Equal(double.PositiveInfinity, FusedAggregate.Compute(inputs[4], path).Sum);
    }

    [Fact]
    public void InstructionSetSwitches_WhenSet_TurnOffTheVectorPaths()
    {
        // Proves the .ci/run reruns really exercise the fallbacks: the runtime honours the switches.
        if (Environment.GetEnvironmentVariable("DOTNET_EnableHWIntrinsic") == "0")
        {
            Assert.False(System.Runtime.Intrinsics.Vector128.IsHardwareAccelerated);
        }

        if (Environment.GetEnvironmentVariable("DOTNET_EnableAVX2") == "0")
        {
            Assert.False(System.Runtime.Intrinsics.Vector256.IsHardwareAccelerated);
        }

        double[] x = Series(1000, 7, r => r.NextDouble());
        Assert.Equal(x.Max(), FusedAggregate.Compute(x).Max);
    }

    [Fact]
    public void Compute_LargeSeries_MeanWithin1e12OfExact()
    {
        double[] x = Series(250_003, 42, r => Math.Exp(r.NextDouble() * 20) * 1e-6);
        double exact = ReferenceStats.ExactSum(x) / x.Length;
        foreach (FusedAggregate.Path path in new[] { FusedAggregate.Path.Scalar, FusedAggregate.Path.Vector128, FusedAggregate.Path.Vector256 })
        {
            Assert.True(SnapshotAssert.RelativelyClose(exact, FusedAggregate.Compute(x, path).Sum / x.Length, 1e-12));
        }
    }

    [Fact]
    public void Select_EveryLength0To300_OrderStatisticsMatchSort()
    {
        for (int length = 1; length <= 300; length++)
        {
            foreach (Func<Random, double> next in new Func<Random, double>[] { r => r.NextDouble(), r => r.Next(3), _ => 1.0 })
            {
                double[] x = Series(length, length, next);
                double[] sorted = x.OrderBy(v => v).ToArray();
                int[] ks = new[] { 0, length / 3, length / 2, length - 1 }.Distinct().Order().ToArray();
                Introselect.Select<double, DoubleAscending>(x, ks);
                foreach (int k in ks)
                {
                    Assert.Equal(sorted[k], x[k]);
                    Assert.All(x[..k], v => Assert.True(v <= x[k]));
                    Assert.All(x[(k + 1)..], v => Assert.True(v >= x[k]));
                }

                Assert.Equal(sorted, x.OrderBy(v => v).ToArray()); // a permutation of the input
            }
        }
    }

    [Fact]
    public void Select_AdversarialInputs_StillCorrect()
    {
        // Sorted, reversed, organ-pipe and all-equal inputs: the depth limit falls back to introsort if needed.
        int n = 20_000;
        double[][] inputs =
        [
            Enumerable.Range(0, n).Select(i => (double)i).ToArray(),
            Enumerable.Range(0, n).Select(i => (double)(n - i)).ToArray(),
            Enumerable.Range(0, n).Select(i => (double)Math.Min(i, n - i)).ToArray(),
            Enumerable.Repeat(3.0, n).ToArray(),
        ];
        foreach (double[] x in inputs)
        {
            double[] sorted = x.OrderBy(v => v).ToArray();
            int[] ks = [n / 2, (n * 95) / 100, (n * 99) / 100, n - 1];
            Introselect.Select<double, DoubleAscending>(x, ks);
            foreach (int k in ks)
            {
                Assert.Equal(sorted[k], x[k]);
            }
        }
    }

    public static TheoryData<string> LargeSeriesKinds() => new("uniform", "few-distinct", "all-equal", "sorted", "reversed", "lognormal", "one-outlier");

    private static double[] LargeSeries(string kind, int n)
    {
        var rng = new Random(n);
        return kind switch
        {
            "uniform" => Series(n, n, r => r.NextDouble()),
            "few-distinct" => Series(n, n, r => r.Next(4) * 0.25),
            "all-equal" => Series(n, n, _ => 0.5),
            "sorted" => Enumerable.Range(0, n).Select(i => i * 1e-3).ToArray(),
            "reversed" => Enumerable.Range(0, n).Select(i => (n - i) * 1e-3).ToArray(),
            "lognormal" => Series(n, n, r => Math.Exp(-4 + (3 * Math.Sqrt(-2 * Math.Log(1 - r.NextDouble())) * Math.Cos(2 * Math.PI * r.NextDouble())))),
            _ => Series(n, n, r => r.Next(1000) == 0 ? 1e9 : r.NextDouble()),
        };
    }

    [Theory]
    [MemberData(nameof(LargeSeriesKinds))]
    public void SampleSelect_LargeSeries_MatchesSortedReferenceAndLeavesInputAlone(string kind)
    {
        foreach (int n in new[] { SampleSelect.MinLength, 1500, 4099, 10_000, 100_003 })
        {
            double[] x = LargeSeries(kind, n);
            double[] original = (double[])x.Clone();
            double[] sorted = x.OrderBy(v => v).ToArray();
            int[] ks = new[] { 0, 1, n / 2, (n / 2) + 1, (n * 95) / 100, (n * 99) / 100, ((n * 99) / 100) + 1, n - 1 }.Distinct().Order().ToArray();
            double[] results = new double[ks.Length];
            SampleSelect.Select<double, DoubleAscending>(x, ks, results, System.Buffers.ArrayPool<double>.Shared);
            Assert.Equal(ks.Select(k => sorted[k]), results);
            Assert.Equal(original, x);
        }
    }

    [Theory]
    [MemberData(nameof(LargeSeriesKinds))]
    public void BucketSelect_LargeSeries_MatchesSortedReferenceAndLeavesInputAlone(string kind)
    {
        foreach (int n in new[] { 256, 1000, 4099, 10_000, 100_003 })
        {
            double[] x = LargeSeries(kind, n);
            double[] original = (double[])x.Clone();
            double[] sorted = x.OrderBy(v => v).ToArray();
            int[] ks = new[] { 0, 1, n / 2, (n / 2) + 1, (n * 95) / 100, (n * 99) / 100, ((n * 99) / 100) + 1, n - 1 }.Distinct().Order().ToArray();
            double[] results = new double[ks.Length];
            BucketSelect.Select(x, sorted[0], sorted[^1], ks, results, System.Buffers.ArrayPool<double>.Shared, System.Buffers.ArrayPool<int>.Shared);
            Assert.Equal(ks.Select(k => sorted[k]), results);
            Assert.Equal(original, x);
        }
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

    [Property(MaxTest = 30)]
    public Property Percentiles_LargeRandomSeries_MatchSortedReference() =>
        Prop.ForAll(
            Gen.Choose(SampleSelect.MinLength, 20_000).ToArbitrary(),
            Gen.Choose(1, 1000).ToArbitrary(),
            (n, distinct) =>
            {
                var rng = new Random(n ^ distinct);
                double[] values = Series(n, n + distinct, r => r.Next(distinct) / 7.0);
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
}
