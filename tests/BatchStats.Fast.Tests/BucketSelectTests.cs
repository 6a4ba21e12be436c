using System.Linq;
using BatchStats.Fast.Internal.Kernels;
using FsCheck.Fluent;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="BucketSelect"/>: large series of every kind against a sort.
/// .ci/run runs it again with DOTNET_EnableAVX2=0 and DOTNET_EnableHWIntrinsic=0 (the Vector128 and scalar paths).
/// </summary>
public sealed class BucketSelectTests
{
    [Theory]
    [MemberData(nameof(KernelCases.LargeSeriesKinds), MemberType = typeof(KernelCases))]
    public void BucketSelect_LargeSeries_MatchesSortedReferenceAndLeavesInputAlone(string kind)
    {
        foreach (int n in new[] { 256, 1000, 4099, 10_000, 100_003 })
        {
            double[] x = KernelCases.LargeSeries(kind, n);
            double[] original = (double[])x.Clone();
            double[] sorted = x.OrderBy(v => v).ToArray();
            int[] ks = KernelCases.EndAndTailRanks(n);
            double[] results = new double[ks.Length];
            BucketSelect.Select(x, sorted[0], sorted[^1], ks, results, System.Buffers.ArrayPool<double>.Shared, System.Buffers.ArrayPool<int>.Shared);
            Assert.Equal(ks.Select(k => sorted[k]), results);
            Assert.Equal(original, x);
        }
    }

    /// <summary>
    /// The bucket passes do the work: introselect sees at most 1 % of a large series for eight ranks, on every kind
    /// of series, skewed ones included (a crowded bucket is split again, not handed to introselect); a series at the
    /// bucket path's minimum length takes it too, and a shorter one goes to introselect whole.
    /// </summary>
    [Theory]
    [MemberData(nameof(KernelCases.LargeSeriesKinds), MemberType = typeof(KernelCases))]
    public void BucketSelect_AnySeries_IntroselectSeesFewValues(string kind)
    {
        int n = 100_003;
        double[] x = KernelCases.LargeSeries(kind, n);
        double[] sorted = x.OrderBy(v => v).ToArray();
        int[] ks = KernelCases.EndAndTailRanks(n);
        double[] results = new double[ks.Length];
        int selected = BucketSelect.Select(x, sorted[0], sorted[^1], ks, results, System.Buffers.ArrayPool<double>.Shared, System.Buffers.ArrayPool<int>.Shared);
        Assert.Equal(ks.Select(k => sorted[k]), results);
        Assert.InRange(selected, 0, n / 100);

        double[] small = KernelCases.LargeSeries("uniform", 256);
        Assert.InRange(BucketSelect.Select(small, small.Min(), small.Max(), [128], results, System.Buffers.ArrayPool<double>.Shared, System.Buffers.ArrayPool<int>.Shared), 1, 256 / 4);
        double[] smaller = KernelCases.LargeSeries("uniform", 255);
        Assert.Equal(255, BucketSelect.Select(smaller, smaller.Min(), smaller.Max(), [128], results, System.Buffers.ArrayPool<double>.Shared, System.Buffers.ArrayPool<int>.Shared));
    }
}
