using System;
using System.Collections.Generic;
using System.Linq;
using System.Numerics;
using BatchStats.Fast.Internal;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="ExponentialLayout"/>: the bucket of a value from its bits (against exact integer arithmetic and
/// <see cref="Math.Log2"/>), the shared tables per scale, and the cells of the zero and edge buckets.
/// </summary>
public sealed class ExponentialLayoutTests
{
    public static TheoryData<int> Scales => [0, 1, 2, 3, 4, 5, 6];

    /// <summary>Powers of two, the in-octave boundaries and their neighbouring doubles, range ends, random values.</summary>
    [Theory]
    [MemberData(nameof(Scales))]
    public void Index_EdgeValues_MatchesTheExactBucketAndMathLog2(int scale)
    {
        ExponentialLayout layout = ExponentialLayout.Build(scale); // not the shared one: built by the code under test
        var values = new List<double>();
        for (int e = ExponentialLayout.MinExponent; e < ExponentialLayout.MaxExponent; e++)
        {
            for (int k = 0; k < 1 << scale; k++)
            {
                double b = Math.Pow(2, e + ((double)k / (1 << scale)));
                values.AddRange([b, Math.BitDecrement(b), Math.BitIncrement(b), Math.BitDecrement(Math.BitDecrement(b)), Math.BitIncrement(Math.BitIncrement(b))]);
            }
        }

        var rng = new Random(scale);
        values.AddRange(Enumerable.Range(0, 2000).Select(_ => Math.Exp((rng.NextDouble() * 36) - 16)));
        foreach (double v in values.Where(v => v > ExponentialLayout.MinValue && v <= ExponentialLayout.MaxValue))
        {
            long exact = ExactIndex(v, scale);
            Assert.Equal(exact, layout.Index(v));
            double log2 = Math.Ceiling(Math.Log2(v) * (1 << scale)) - 1;
            Assert.InRange(exact - log2, -1, 1); // Math.Log2 itself may be an ulp off right at a boundary
        }
    }

    [Fact]
    public void ForScale_IsSharedPerScale_AndScalesOutOfRangeThrowNamingIt()
    {
        Assert.Same(ExponentialLayout.ForScale(3), ExponentialLayout.ForScale(3)); // one set of tables per scale for every ring
        Assert.NotSame(ExponentialLayout.ForScale(3), ExponentialLayout.Build(3));
        foreach (int scale in new[] { ExponentialLayout.MinScale - 1, ExponentialLayout.MaxScale + 1 })
        {
            Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialLayout.ForScale(scale)).ParamName);
            Assert.Equal("scale", Assert.Throws<ArgumentOutOfRangeException>(() => ExponentialLayout.Build(scale)).ParamName);
        }
    }

    [Theory]
    [MemberData(nameof(Scales))]
    public void Cell_ZeroSubnormalsAndOutOfRange_GoToTheZeroAndEdgeBuckets(int scale)
    {
        ExponentialLayout layout = ExponentialLayout.Build(scale); // not the shared one: built by the code under test
        int Slot(double v) => layout.BucketOf((int)layout.Cell(v));
        Assert.Equal(-1, Slot(0.0));
        Assert.Equal(-1, Slot(-0.0));
        Assert.Equal(-1, Slot(double.Epsilon)); // subnormal: at or below the zero threshold
        Assert.Equal(-1, Slot(ExponentialLayout.MinValue)); // the threshold itself (2^-24) is in the zero bucket
        Assert.Equal(0, Slot(Math.BitIncrement(ExponentialLayout.MinValue))); // the lowest bucket of the range
        double inRange = Math.ScaleB(1.5, ExponentialLayout.MinExponent + 1);
        Assert.Equal(layout.Index(inRange) - layout.MinIndex, Slot(inRange));
        Assert.Equal((1 << scale) - 1, Slot(Math.ScaleB(1, ExponentialLayout.MinExponent + 1))); // 2^(min+1) closes the first octave
        Assert.Equal(layout.BucketCount - 1, Slot(ExponentialLayout.MaxValue)); // 2^16: the top bucket's upper edge
        Assert.Equal(layout.BucketCount - 1, Slot(Math.BitIncrement(ExponentialLayout.MaxValue)));
        Assert.Equal(layout.BucketCount - 1, Slot(double.MaxValue));
        Assert.Equal(layout.BucketCount - 2, Slot(ExponentialLayout.LowerBound(layout.MinIndex + layout.BucketCount - 1, scale) * (1 - 1e-12)));
    }

    /// <summary>The bucket of <paramref name="v"/> by exact integer arithmetic: the i with 2^(i/2^s) &lt; v &lt;= 2^((i+1)/2^s).</summary>
    internal static long ExactIndex(double v, int scale)
    {
        long i = (long)Math.Ceiling(Math.Log2(v) * (1 << scale)) - 1;
        while (!AtOrBelowPower(v, i + 1, scale))
        {
            i++;
        }

        while (AtOrBelowPower(v, i, scale))
        {
            i--;
        }

        return i;
    }

    /// <summary>v &lt;= 2^(n / 2^scale), exactly: v = M·2^e, so v^(2^s) = M^(2^s)·2^(e·2^s), compared with 2^n.</summary>
    private static bool AtOrBelowPower(double v, long n, int scale)
    {
        long bits = BitConverter.DoubleToInt64Bits(v);
        int biased = (int)(bits >> 52);
        long mantissa = bits & 0xF_FFFF_FFFF_FFFFL;
        BigInteger m = biased == 0 ? mantissa : mantissa | (1L << 52);
        long e = (biased == 0 ? 1 : biased) - 1075;
        BigInteger left = BigInteger.Pow(m, 1 << scale);
        long shift = n - (e << scale); // compare M^(2^s) with 2^shift
        return shift >= 0 ? left <= BigInteger.One << (int)shift : left << (int)-shift <= BigInteger.One;
    }
}
