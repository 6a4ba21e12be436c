using System;
using System.Linq;
using BatchStats.Fast.Internal.Kernels;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="IntegerKernels"/>: the int min/max kernel at every length around the vector widths.
/// .ci/run runs it again with DOTNET_EnableAVX2=0 and DOTNET_EnableHWIntrinsic=0.
/// </summary>
public sealed class IntegerKernelsTests
{
    [Fact]
    public void IntegerMinMax_EveryLength0To200_MatchesLinq()
    {
        var rng = new Random(5);
        for (int length = 0; length <= 200; length++)
        {
            int[] x = Enumerable.Range(0, length).Select(_ => rng.Next(int.MinValue, int.MaxValue)).ToArray();
            (int min, int max) = IntegerKernels.MinMax(x);
            Assert.Equal(length == 0 ? int.MaxValue : x.Min(), min);
            Assert.Equal(length == 0 ? int.MinValue : x.Max(), max);
        }
    }
}
