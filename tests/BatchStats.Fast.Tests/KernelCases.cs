using System;
using System.Linq;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>Inputs the kernel tests share: instruction paths and series of every kind.</summary>
internal static class KernelCases
{
    /// <summary>Instruction paths as ints (the enum is internal): 0 scalar, 1 Vector128, 2 Vector256.</summary>
    public static TheoryData<int> Paths() => new(0, 1, 2);

    internal static double[] Series(int length, int seed, Func<Random, double> next)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, length).Select(_ => next(rng)).ToArray();
    }

    public static TheoryData<string> LargeSeriesKinds() => new("uniform", "few-distinct", "all-equal", "sorted", "reversed", "lognormal", "one-outlier");

    /// <summary>Both ends, the median and the tail of a series of <paramref name="n"/>: ranks 0, 1, n/2, n/2+1, p95, p99, p99+1 and n-1, distinct and ascending.</summary>
    internal static int[] EndAndTailRanks(int n) =>
        new[] { 0, 1, n / 2, (n / 2) + 1, (n * 95) / 100, (n * 99) / 100, ((n * 99) / 100) + 1, n - 1 }.Distinct().Order().ToArray();

    internal static double[] LargeSeries(string kind, int n)
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
}
