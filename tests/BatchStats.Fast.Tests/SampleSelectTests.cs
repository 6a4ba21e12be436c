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
            int[] ks = new[] { 0, 1, n / 2, (n / 2) + 1, (n * 95) / 100, (n * 99) / 100, ((n * 99) / 100) + 1, n - 1 }.Distinct().Order().ToArray();
            double[] results = new double[ks.Length];
            SampleSelect.Select<double, DoubleAscending>(x, ks, results, System.Buffers.ArrayPool<double>.Shared);
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
}
