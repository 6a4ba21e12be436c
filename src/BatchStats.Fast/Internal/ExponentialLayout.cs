using System;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BatchStats.Fast.Internal;

/// <summary>
/// The base-2 exponential bucket layout of OpenTelemetry at one scale, over the bounded range the writers record:
/// bucket <c>i</c> covers <c>(2^(i / 2^scale), 2^((i + 1) / 2^scale)]</c>, so a positive value <c>v</c> falls in
/// bucket <c>ceil(log2(v) * 2^scale) - 1</c>. Writers find a value's cell from its bits, with no logarithm.
/// </summary>
/// <remarks>
/// <para>A value's <b>key</b> is its exponent and the top <c>scale + 1</c> bits of its mantissa, one shift of its
/// bits: a slice of an octave narrower than the narrowest bucket, so it holds at most one bucket boundary (the
/// octave's power of two counts as one, in the first slice). A table holds, per key, the bits of the smallest
/// double above that boundary; one compare picks the side, so a value's <b>cell</b> is <c>2 key + side</c>, and
/// each cell lies inside exactly one bucket. Exactness: the boundaries <c>2^(k / 2^scale)</c> are irrational, so
/// no double lies between a boundary and the smallest double above it.</para>
/// <para>Range: values above <see cref="MinValue"/> (2^-24 s, about 60 ns) up to <see cref="MaxValue"/> (2^16 s,
/// about 18 hours) get their own buckets. Values at or below 2^-24 (zero and -0.0 included) are counted in the zero
/// bucket, whose threshold is 2^-24; values above 2^16 in the highest bucket.</para>
/// </remarks>
internal sealed class ExponentialLayout
{
    /// <summary>Smallest and largest recording scale (buckets per power of two: 2^scale).</summary>
    public const int MinScale = 0, MaxScale = 6;

    /// <summary>Lowest and highest octave (power of two) with buckets of their own.</summary>
    public const int MinExponent = -24, MaxExponent = 16;

    private static readonly ExponentialLayout?[] s_layouts = new ExponentialLayout?[MaxScale + 1];

    private readonly ulong[] _thresholds; // per key: (bits << 1) of the smallest double above the key's boundary, or ulong.MaxValue
    private readonly long[] _signedThresholds; // the same with the top bit flipped, for a signed compare (AVX2 has no unsigned one)
    private readonly int[] _cellBuckets; // per cell: its bucket slot, -1 for the zero bucket

    private ExponentialLayout(int scale)
    {
        Scale = scale;
        int sliceBits = scale + 1;
        int slicesPerOctave = 1 << sliceBits;
        KeyShift = 64 - 11 - sliceBits; // bits << 1 drops the sign; the key is the next 11 exponent bits and sliceBits mantissa bits
        KeyMin = (long)(MinExponent + 1023) << sliceBits;
        KeyCount = (MaxExponent - MinExponent) << sliceBits;
        MinIndex = (long)MinExponent << scale;
        BucketCount = (MaxExponent - MinExponent) << scale;

        // Within an octave (mantissa m in [0, 2^52)): side 1 once m reaches the slice's threshold mantissa.
        var thresholdMantissa = new ulong[slicesPerOctave];
        var below = new int[slicesPerOctave]; // boundaries k >= 1 whose threshold is at or below the slice's start
        Array.Fill(thresholdMantissa, ulong.MaxValue);
        thresholdMantissa[0] = 1; // m = 0 is the power of two itself: the upper edge of the previous octave's last bucket
        for (int k = 1; k < 1 << scale; k++)
        {
            ulong t = BoundaryMantissa(scale, k) + 1; // the smallest mantissa above 2^(k / 2^scale)
            int slice = (int)(t >> (52 - sliceBits));
            if (t == (ulong)slice << (52 - sliceBits))
            {
                below[slice]++; // the smallest double above the boundary starts the slice: all of the slice is above it
            }
            else
            {
                thresholdMantissa[slice] = t;
            }

            for (int q = slice + 1; q < slicesPerOctave; q++)
            {
                below[q]++;
            }
        }

        _thresholds = new ulong[KeyCount];
        _cellBuckets = new int[2 * KeyCount];
        for (int key = 0; key < KeyCount; key++)
        {
            int octave = MinExponent + (key >> sliceBits);
            int slice = key & (slicesPerOctave - 1);
            ulong mantissa = thresholdMantissa[slice];
            _thresholds[key] = mantissa == ulong.MaxValue ? ulong.MaxValue : ((ulong)(octave + 1023) << 52 | mantissa) << 1;
            for (int side = 0; side < 2; side++)
            {
                // Slice 0, side 0: the power of two 2^octave, which closes the previous octave's last bucket.
                int within = below[slice] + (mantissa != ulong.MaxValue ? side : 0) - (slice == 0 ? 1 : 0);
                long index = ((long)octave << scale) + within;
                _cellBuckets[(2 * key) + side] = index < MinIndex ? -1 : (int)Math.Min(index - MinIndex, BucketCount - 1);
            }
        }

        _signedThresholds = Array.ConvertAll(_thresholds, t => (long)(t ^ SignBit));
        if (slicesPerOctave <= 16)
        {
            SliceThresholds = new long[16];
            for (int i = 0; i < 16; i++)
            {
                ulong t = _thresholds[i % slicesPerOctave]; // key i % slices: the lowest octave's slice; every octave has the same mantissas
                SliceThresholds[i] = t == ulong.MaxValue ? long.MaxValue : (long)(t & ((1UL << 53) - 1));
            }
        }
    }

    /// <summary>The top bit: flipping it in both operands turns an unsigned compare into a signed one.</summary>
    public const ulong SignBit = 1UL << 63;

    /// <summary>The zero bucket's threshold: values at or below it (2^-24) count as zero.</summary>
    public static double MinValue => Math.ScaleB(1, MinExponent);

    /// <summary>The largest value with a bucket of its own (2^16).</summary>
    public static double MaxValue => Math.ScaleB(1, MaxExponent);

    public int Scale { get; }

    /// <summary>The OpenTelemetry index of the lowest bucket kept (slot 0).</summary>
    public long MinIndex { get; }

    /// <summary>Buckets kept: the range's octaves times 2^scale.</summary>
    public int BucketCount { get; }

    /// <summary>Cells a writer counts in: two per key.</summary>
    public int CellCount => 2 * KeyCount;

    /// <summary>The shift that turns <c>bits &lt;&lt; 1</c> into a key (before <see cref="KeyMin"/> is subtracted).</summary>
    public int KeyShift { get; }

    /// <summary>The key of the lowest slice of the range.</summary>
    public long KeyMin { get; }

    /// <summary>Keys in the range.</summary>
    public int KeyCount { get; }

    /// <summary>Per key: <c>bits &lt;&lt; 1</c> of the smallest double above the key's boundary (or <see cref="ulong.MaxValue"/>).</summary>
    public ulong[] Thresholds => _thresholds;

    /// <summary>
    /// Per slice of an octave (repeated to 16 below scale 3, as the AVX-512 pass indexes it by a key's low 4 bits): the
    /// mantissa bits (<c>&lt;&lt; 1</c>) of the smallest double above the slice's boundary, or <see cref="long.MaxValue"/>
    /// where it holds none; a value of the slice is on the upper side when its own mantissa bits reach it. Null above
    /// scale 3 (more than 16 slices).
    /// </summary>
    public long[]? SliceThresholds { get; }

    /// <summary><see cref="Thresholds"/> with <see cref="SignBit"/> flipped: <c>bits &gt;= t</c> is <c>(long)(bits ^ SignBit) &gt;= s</c>.</summary>
    public long[] SignedThresholds => _signedThresholds;

    /// <summary>The layout of <paramref name="scale"/> (built once per scale).</summary>
    public static ExponentialLayout ForScale(int scale) => s_layouts[CheckScale(scale)] ??= new ExponentialLayout(scale);

    /// <summary>
    /// A new layout of <paramref name="scale"/>, not the shared one: tests build their own, so the tables they check
    /// come from the code under test even when the shared layouts were built earlier in the process.
    /// </summary>
    internal static ExponentialLayout Build(int scale) => new(CheckScale(scale));

    private static int CheckScale(int scale)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, MinScale);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(scale, MaxScale);
        return scale;
    }

    /// <summary>The cell that counts <paramref name="value"/> (any non-negative double, -0.0 included): a key and a side.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public nint Cell(double value)
    {
        ulong bits = BitConverter.DoubleToUInt64Bits(value) << 1; // drops the sign bit: -0.0 reads as 0.0
        long key = (long)(bits >> KeyShift) - KeyMin;
        key = Math.Min(Math.Max(key, 0), KeyCount - 1); // out of range: the edge keys (their cells map to the edge buckets)
        ulong threshold = Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_thresholds), (nint)key);
        return (nint)(2 * key) + (bits >= threshold ? 1 : 0);
    }

    /// <summary>The bucket slot of a cell (0 .. <see cref="BucketCount"/> - 1), or -1 for the zero bucket.</summary>
    public int BucketOf(int cell) => _cellBuckets[cell];

    /// <summary>The OpenTelemetry bucket index of <paramref name="value"/> (in range), computed as the writers do.</summary>
    public long Index(double value) => MinIndex + BucketOf((int)Cell(value));

    /// <summary>
    /// The upper bound of bucket <paramref name="index"/> at <paramref name="scale"/>: 2^((index + 1) / 2^scale), which
    /// is +∞ or 0 for an index beyond the doubles.
    /// </summary>
    public static double UpperBound(long index, int scale) =>
        scale <= 0
            ? Math.ScaleB(1, (int)Math.Clamp((index + 1.0) * (1 << -scale), -2048, 2048)) // in doubles: no overflow; 2^±2048 is +∞ or 0, as any larger exponent
            : Math.Pow(2, (index + 1.0) / (1 << scale));

    /// <summary>The lower bound of bucket <paramref name="index"/>: the upper bound of the bucket before it.</summary>
    public static double LowerBound(long index, int scale) => UpperBound(index - 1, scale);

    /// <summary>The mantissa bits of the largest double not above 2^(k / 2^scale), for 0 &lt; k &lt; 2^scale (exact).</summary>
    internal static ulong BoundaryMantissa(int scale, int k)
    {
        double d = Math.Pow(2, (double)k / (1 << scale)); // within an ulp or so; corrected exactly below
        while (!AtOrBelow(d, scale, k))
        {
            d = Math.BitDecrement(d);
        }

        while (AtOrBelow(Math.BitIncrement(d), scale, k))
        {
            d = Math.BitIncrement(d);
        }

        return BitConverter.DoubleToUInt64Bits(d) & 0x000F_FFFF_FFFF_FFFFUL;

        // d^(2^scale) <= 2^k, exactly: with d = M / 2^52 (d in [1, 2)), M^(2^scale) <= 2^(k + 52 * 2^scale).
        static bool AtOrBelow(double d, int scale, int k)
        {
            var m = new BigInteger((BitConverter.DoubleToUInt64Bits(d) & 0x000F_FFFF_FFFF_FFFFUL) | (1UL << 52));
            return BigInteger.Pow(m, 1 << scale) <= BigInteger.One << (k + (52 << scale));
        }
    }
}
