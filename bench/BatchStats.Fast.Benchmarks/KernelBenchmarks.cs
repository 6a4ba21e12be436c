using System;
using System.Numerics.Tensors;
using BatchStats.Fast.Internal.Kernels;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;

namespace BatchStats.Fast.Benchmarks;

/// <summary>Rotating random inputs for the kernel suites (several, so one input is not always hot in cache).</summary>
internal static class RandomInputs
{
    public static double[][] Create(int count, int length, int seed, Func<Random, double> next)
    {
        var rng = new Random(seed);
        var inputs = new double[count][];
        for (int k = 0; k < count; k++)
        {
            inputs[k] = new double[length];
            for (int i = 0; i < length; i++)
            {
                inputs[k][i] = next(rng);
            }
        }

        return inputs;
    }
}

/// <summary>One job per instruction set: all intrinsics, no AVX2 (Vector128 path), no intrinsics (scalar).</summary>
internal sealed class InstructionSetConfig : ManualConfig
{
    public InstructionSetConfig()
    {
        AddJob(Job.Default.WithId("AVX2+"));
        AddJob(Job.Default.WithEnvironmentVariable("DOTNET_EnableAVX2", "0").WithId("NoAVX2"));
        AddJob(Job.Default.WithEnvironmentVariable("DOTNET_EnableHWIntrinsic", "0").WithId("Scalar"));
    }
}

/// <summary>The fused sum/min/max/sum-of-squares pass vs four TensorPrimitives calls vs a scalar loop.</summary>
[MemoryDiagnoser]
[Config(typeof(InstructionSetConfig))]
public class AggregateBenchmarks
{
    private double[][] _inputs = null!;
    private int _next;

    [Params(1_000, 10_000, 100_000)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _inputs = RandomInputs.Create(4, Length, seed: 3, rng => rng.NextDouble());
    }

    private double[] Next() => _inputs[_next++ & 3];

    [Benchmark(Baseline = true, Description = "fused Vector256 pass")]
    public double Fused()
    {
        Aggregate a = FusedAggregate.Compute(Next());
        return a.Sum + a.Min + a.Max + a.SumOfSquares;
    }

    [Benchmark(Description = "TensorPrimitives Sum+Min+Max+SumOfSquares")]
    public double Tensor()
    {
        double[] x = Next();
        return TensorPrimitives.Sum<double>(x) + TensorPrimitives.Min<double>(x) + TensorPrimitives.Max<double>(x) + TensorPrimitives.SumOfSquares<double>(x);
    }

    [Benchmark(Description = "scalar loop")]
    public double Scalar()
    {
        double sum = 0, sq = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (double v in Next())
        {
            sum += v;
            sq += v * v;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        return sum + min + max + sq;
    }
}

/// <summary>p50/p95/p99 by one multi-select vs Span.Sort plus interpolation; inputs rotate so sorting is not flattered.</summary>
[MemoryDiagnoser]
public class PercentileBenchmarks
{
    private static readonly double[] s_ps = [50, 95, 99];
    private double[][] _inputs = null!;
    private double[] _work = null!;
    private readonly double[] _results = new double[3];
    private int _next;

    [Params(1_000, 10_000, 100_000)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _inputs = RandomInputs.Create(8, Length, seed: 5, rng => Math.Exp(rng.NextDouble() * 5));

        _work = new double[Length];
    }

    [Benchmark(Baseline = true, Description = "Span.Sort + interpolation")]
    public double Sort()
    {
        _inputs[_next++ & 7].CopyTo(_work, 0);
        Span<double> w = _work;
        w.Sort();
        double total = 0;
        foreach (double p in s_ps)
        {
            (int lo, int hi, double g) = Percentiles.Position(w.Length, p);
            total += Percentiles.Lerp(w[lo], w[hi], g);
        }

        return total;
    }

    [Benchmark(Description = "multi-percentile introselect")]
    public double Select()
    {
        _inputs[_next++ & 7].CopyTo(_work, 0);
        Percentiles.Compute(_work, s_ps, _results, double.NaN, double.NaN, System.Buffers.ArrayPool<double>.Shared, System.Buffers.ArrayPool<int>.Shared);
        return _results[0] + _results[1] + _results[2];
    }

    /// <summary>What GetStats runs: the fused pass (which it needs anyway) gives min/max, then the bucket select.</summary>
    [Benchmark(Description = "fused pass + bucket select (GetStats path)")]
    public double Bucket()
    {
        _inputs[_next++ & 7].CopyTo(_work, 0);
        Aggregate a = FusedAggregate.Compute(_work);
        Percentiles.Compute(_work, s_ps, _results, a.Min, a.Max, System.Buffers.ArrayPool<double>.Shared, System.Buffers.ArrayPool<int>.Shared);
        return _results[0] + _results[1] + _results[2];
    }
}

/// <summary>
/// The sampling select the window cut (stamps out of order) and the trend's median split run, against introselect
/// over a copy (its fallback): a median rank, and the window cut's usual rank a few records above the series' start.
/// </summary>
[MemoryDiagnoser]
public class SampleSelectBenchmarks
{
    private double[][] _inputs = null!;
    private readonly double[] _result = new double[1];
    private int[] _ranks = null!;
    private int _next;

    [Params(10_000, 100_000)]
    public int Length { get; set; }

    [Params("median", "near-start")]
    public string Rank { get; set; } = "median";

    [GlobalSetup]
    public void Setup()
    {
        _inputs = RandomInputs.Create(8, Length, seed: 7, rng => rng.NextDouble());
        _ranks = [Rank == "median" ? Length / 2 : 5];
    }

    [Benchmark(Baseline = true, Description = "introselect over a copy")]
    public double Introselect()
    {
        Internal.Kernels.Introselect.SelectCopy<double, DoubleAscending>(_inputs[_next++ & 7], _ranks, _result, System.Buffers.ArrayPool<double>.Shared);
        return _result[0];
    }

    [Benchmark(Description = "sampling select")]
    public double Sampling()
    {
        SampleSelect.Select<double, DoubleAscending>(_inputs[_next++ & 7], _ranks, _result, System.Buffers.ArrayPool<double>.Shared);
        return _result[0];
    }
}
