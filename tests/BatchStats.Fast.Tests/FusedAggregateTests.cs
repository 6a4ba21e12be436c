using System;
using System.Linq;
using BatchStats.Fast.Internal.Kernels;
using FsCheck.Fluent;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="FusedAggregate"/>, the fused SIMD pass: every length 0..300 and special values on each instruction path, the switches, a large series.
/// .ci/run runs it again with DOTNET_EnableAVX2=0 and DOTNET_EnableHWIntrinsic=0 (the Vector128 and scalar paths).
/// </summary>
public sealed class FusedAggregateTests
{
    /// <summary>SIMD and scalar sums may differ by summation order: at most this, relative (the documented bound is 1e-12).</summary>
    private const double SumTolerance = 1e-13;

    [Theory]
    [MemberData(nameof(KernelCases.Paths), MemberType = typeof(KernelCases))]
    public void Compute_EveryLength0To300_AgreesWithSequentialReference(int pathId)
    {
        var path = (FusedAggregate.Path)pathId;
        for (int length = 0; length <= 300; length++)
        {
            double[] x = KernelCases.Series(length, length, r => r.NextDouble() * 10);
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
    [MemberData(nameof(KernelCases.Paths), MemberType = typeof(KernelCases))]
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

        double[] x = KernelCases.Series(1000, 7, r => r.NextDouble());
        Assert.Equal(x.Max(), FusedAggregate.Compute(x).Max);
    }

    [Fact]
    public void Compute_LargeSeries_MeanWithin1e12OfExact()
    {
        double[] x = KernelCases.Series(250_003, 42, r => Math.Exp(r.NextDouble() * 20) * 1e-6);
        double exact = ReferenceStats.ExactSum(x) / x.Length;
        foreach (FusedAggregate.Path path in new[] { FusedAggregate.Path.Scalar, FusedAggregate.Path.Vector128, FusedAggregate.Path.Vector256 })
        {
            Assert.True(SnapshotAssert.RelativelyClose(exact, FusedAggregate.Compute(x, path).Sum / x.Length, 1e-12));
        }
    }

    [Theory]
    [MemberData(nameof(Golden.CaseNames), MemberType = typeof(Golden))]
    public void FusedAggregate_NumpyCase_MeanWithinToleranceOfExact(string name)
    {
        Golden.PercentileCase c = Golden.File_.Cases.Single(x => x.Name == name);
        Aggregate a = FusedAggregate.Compute(c.Values);
        Assert.True(SnapshotAssert.RelativelyClose(c.ExactMean, a.Sum / c.Values.Length, SnapshotAssert.MeanTolerance));
        Assert.Equal(c.Values.Min(), a.Min);
        Assert.Equal(c.Values.Max(), a.Max);
    }

    /// <summary>
    /// The blocks' sums are added with Neumaier compensation: 1, 2^54 + 4 and 1 sum to 2^54 + 6, whose double is
    /// 2^54 + 8 (doubles there are 4 apart; the tie goes to the even one), where a plain sum of the blocks rounds both
    /// ones away (2^54 + 4). The 2^54 + 4 takes the compensation's branch where the new block is the larger, the second
    /// 1 the one where the running sum is; taking either branch for both also gives 2^54 + 4. The sums of squares are
    /// compensated the same way: blocks [1], [2^27, 2] and [1] have squares 1, 2^54 + 4 and 1.
    /// </summary>
    [Theory]
    [MemberData(nameof(KernelCases.Paths), MemberType = typeof(KernelCases))]
    public void Accumulator_BlockSums_CompensatedWhereAPlainSumLosesThem(int pathId)
    {
        var path = (FusedAggregate.Path)pathId;
        double big = Math.Pow(2, 54) + 4;
        var accumulator = default(FusedAggregate.Accumulator);
        accumulator.Add([1.0], path);
        accumulator.Add([big], path);
        accumulator.Add([1.0], path);
        Assert.Equal(big, (1.0 + big) + 1.0); // what a plain sum gives
        Assert.Equal(BitConverter.DoubleToInt64Bits(big + 4), BitConverter.DoubleToInt64Bits(accumulator.Result.Sum));

        var squares = default(FusedAggregate.Accumulator);
        squares.Add([1.0], path);
        squares.Add([Math.Pow(2, 27), 2.0], path);
        squares.Add([1.0], path);
        Assert.Equal(BitConverter.DoubleToInt64Bits(big + 4), BitConverter.DoubleToInt64Bits(squares.Result.SumOfSquares));
    }

    /// <summary>No segment: sum 0, minimum +∞, maximum -∞ (as documented), so a later Math.Min/Max takes the first value.</summary>
    [Fact]
    public void Accumulator_Empty_SumZeroMinPositiveInfinityMaxNegativeInfinity()
    {
        Aggregate none = default(FusedAggregate.Accumulator).Result;
        Assert.Equal(0.0, none.Sum);
        Assert.Equal(0.0, none.SumOfSquares);
        Assert.Equal(double.PositiveInfinity, none.Min);
        Assert.Equal(double.NegativeInfinity, none.Max);
    }

    /// <summary>Squares that overflow give +∞, never NaN (the compensation of an infinite sum is NaN and is left out).</summary>
    [Theory]
    [MemberData(nameof(KernelCases.Paths), MemberType = typeof(KernelCases))]
    public void Compute_SquaresOverflow_PositiveInfinityNotNaN(int pathId)
    {
        double[] x = Enumerable.Repeat(1e200, 9).ToArray();
        Aggregate a = FusedAggregate.Compute(x, (FusedAggregate.Path)pathId);
        Assert.Equal(9e200, a.Sum, 1e188);
        Assert.Equal(double.PositiveInfinity, a.SumOfSquares);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    public void SegmentedAggregate_AnySplit_MinMaxExact_SumWithinTolerance_OneSegmentSameBitsAsCompute(int pathId)
    {
        var path = (FusedAggregate.Path)pathId;
        var rng = new Random(11);
        for (int trial = 0; trial < 200; trial++)
        {
            double[] x = Enumerable.Range(0, rng.Next(0, 3000)).Select(_ => rng.NextDouble() * 1000).ToArray();
            var accumulator = default(FusedAggregate.Accumulator);
            int at = 0;
            while (at < x.Length)
            {
                int length = Math.Min(x.Length - at, rng.Next(0, 1500));
                accumulator.Add(x.AsSpan(at, length), path);
                at += length;
            }

            Aggregate split = accumulator.Result;
            Aggregate whole = FusedAggregate.Compute(x, path);
            Assert.Equal(whole.Min, split.Min);
            Assert.Equal(whole.Max, split.Max);
            Assert.True(SnapshotAssert.RelativelyClose(ReferenceStats.ExactSum(x), split.Sum, 1e-13), $"trial {trial}");

            var one = default(FusedAggregate.Accumulator);
            one.Add(x, path);
            Assert.Equal(BitConverter.DoubleToInt64Bits(whole.Sum), BitConverter.DoubleToInt64Bits(one.Result.Sum));
        }
    }
}
