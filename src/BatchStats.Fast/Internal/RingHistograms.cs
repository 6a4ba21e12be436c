using System;
using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Threading;

namespace BatchStats.Fast.Internal;

/// <summary>
/// A writer ring's all-time distributions of processing time, queue time and latency: counts per
/// <see cref="ExponentialLayout"/> cell, plus the sum, minimum and maximum of each series.
/// </summary>
/// <remarks>
/// Design: the ring's owner is the only writer. It bins its records a chunk at a time (and an <c>UpdateMany</c>'s
/// directly), one plain increment per series and value plus the series' sum, minimum and maximum; the ring's
/// <c>BinnedTo</c> release publishes them. Readers go through <see cref="WriterRing.ReadHistogram"/>, which adds the
/// records not yet binned and retries a read that overlapped a binning, so a count or a sum never falls between
/// reads. Cells map to buckets only on the read side. The cells survive ring reuse: a new owner's counts carry on.
/// </remarks>
internal sealed partial class RingHistograms
{
    /// <summary>Series order in the cells.</summary>
    public const int Processing = 0, Queue = 1, Latency = 2, SeriesCount = 3;

    private readonly ExponentialLayout _layout;
    private readonly ulong[] _thresholds; // the layout's, held here so a record loads fewer fields
    private readonly long[] _signedThresholds; // the layout's, for the AVX2 pass's signed compare
    private readonly int _keyShift;
    private readonly long _keyMin;
    private readonly long _keyLast;
    private readonly long[] _cells; // per series: CellCount counts
    private readonly double[] _stats; // per series: sum, min, max
    private readonly int _stride;
    private readonly long[]? _sliceThresholds; // the layout's, for the AVX-512 pass (scales 0 to 3), else null

    public RingHistograms(ExponentialLayout layout)
    {
        _layout = layout;
        _thresholds = layout.Thresholds;
        _signedThresholds = layout.SignedThresholds;
        _keyShift = layout.KeyShift;
        _keyMin = layout.KeyMin;
        _keyLast = layout.KeyCount - 1;
        _stride = layout.CellCount;
        _cells = new long[SeriesCount * _stride];
        _cells.AsSpan().Clear(); // commits the pages now (a fresh large array may not be written yet), not on a record that bins
        _stats = new double[SeriesCount * 3];
        _sliceThresholds = layout.SliceThresholds;
        for (int s = 0; s < SeriesCount; s++)
        {
            _stats[(3 * s) + 1] = double.PositiveInfinity;
            _stats[(3 * s) + 2] = double.NegativeInfinity;
        }
    }

    /// <summary>The cell memory of all three series, for tests that check which of its pages the OS has committed.</summary>
    internal ReadOnlySpan<long> CellsForTests => _cells;

    /// <summary>The all-time distributions of all <paramref name="rings"/> together (any thread; each count only grows between calls).</summary>
    public static BatchStatsHistograms Sum(WriterRing[] rings, ExponentialLayout layout) =>
        new(Series(rings, layout, Processing), Series(rings, layout, Queue), Series(rings, layout, Latency));

    /// <summary>The all-time sum of one series over all <paramref name="rings"/> (any thread).</summary>
    public static double SumOf(WriterRing[] rings, int series)
    {
        double sum = 0;
        foreach (WriterRing ring in rings)
        {
            ring.ReadHistogram(series, default, out double ringSum, out _, out _);
            sum += ringSum;
        }

        return sum;
    }

    /// <summary>Counts one record's three values. Owner thread only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Record(double processingTime, double queueTime, double latency)
    {
        ref ulong thresholds = ref MemoryMarshal.GetArrayDataReference(_thresholds);
        int shift = _keyShift;
        long keyMin = _keyMin, keyLast = _keyLast;
        ref long cells = ref MemoryMarshal.GetArrayDataReference(_cells);
        nint stride = _stride;
        Unsafe.Add(ref cells, Cell(ref thresholds, shift, keyMin, keyLast, processingTime))++; // plain: owner-only; published by the ring's release store of BinnedTo
        Unsafe.Add(ref cells, stride + Cell(ref thresholds, shift, keyMin, keyLast, queueTime))++; // plain, as above
        Unsafe.Add(ref cells, (2 * stride) + Cell(ref thresholds, shift, keyMin, keyLast, latency))++; // plain, as above
        ref double stats = ref MemoryMarshal.GetArrayDataReference(_stats);
        Add(ref stats, processingTime);
        Add(ref Unsafe.Add(ref stats, 3), queueTime);
        Add(ref Unsafe.Add(ref stats, 6), latency);
    }

    /// <summary>
    /// Counts the records of sequences <paramref name="from"/> to <paramref name="to"/> (exclusive) in a ring's
    /// slots, as <see cref="Record"/> would one by one (the same sums, in the same order), with the layout's fields,
    /// the sums, minima and maxima in registers for the whole range. Owner thread only.
    /// </summary>
    public void RecordRange(ref Slot slots, long mask, long from, long to)
    {
        if (Vector512.IsHardwareAccelerated && Avx512F.IsSupported && _sliceThresholds is not null)
        {
            RecordRangeAvx512(ref slots, mask, from, to);
        }
        else if (Avx2.IsSupported)
        {
            RecordRangeAvx2(ref slots, mask, from, to);
        }
        else
        {
            RecordRangeScalar(ref slots, mask, from, to);
        }
    }

    /// <summary>
    /// Reads the binned counts of <paramref name="series"/> per cell into <paramref name="cells"/> (skipped when empty)
    /// and the series' sum, minimum and maximum (any thread; <see cref="WriterRing.ReadHistogram"/> validates the read).
    /// </summary>
    public void Read(int series, Span<long> cells, out double sum, out double min, out double max)
    {
        if (!cells.IsEmpty)
        {
            ref long source = ref _cells[series * _stride];
            for (int cell = 0; cell < _stride; cell++)
            {
                cells[cell] = Volatile.Read(ref Unsafe.Add(ref source, cell)); // acquire: ordered before the caller's claim check
            }
        }

        ref double stats = ref _stats[3 * series];
        sum = Volatile.Read(ref stats); // acquire: ordered before the caller's claim check, as the cells
        min = Volatile.Read(ref Unsafe.Add(ref stats, 1)); // acquire: as above
        max = Volatile.Read(ref Unsafe.Add(ref stats, 2)); // acquire: as above
    }

    /// <summary>Adds values not yet binned to a <see cref="Read"/> result, as <see cref="Record"/> would (any thread; touches only the arguments).</summary>
    public void Add(ReadOnlySpan<double> values, Span<long> cells, ref double sum, ref double min, ref double max)
    {
        foreach (double value in values)
        {
            if (!cells.IsEmpty)
            {
                cells[(int)_layout.Cell(value)]++;
            }

            Add(ref sum, ref min, ref max, value); // one by one in record order, as the owner adds them
        }
    }

    private static ExponentialHistogram Series(WriterRing[] rings, ExponentialLayout layout, int series)
    {
        var counts = new long[layout.BucketCount + 1]; // [0]: the zero bucket, then the layout's bucket slots
        double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        long[] cells = ArrayPool<long>.Shared.Rent(layout.CellCount);
        foreach (WriterRing ring in rings)
        {
            Span<long> ringCells = cells.AsSpan(0, layout.CellCount);
            ring.ReadHistogram(series, ringCells, out double ringSum, out double ringMin, out double ringMax);
            for (int cell = 0; cell < ringCells.Length; cell++)
            {
                counts[layout.BucketOf(cell) + 1] += ringCells[cell];
            }

            sum += ringSum;
            min = Math.Min(min, ringMin);
            max = Math.Max(max, ringMax);
        }

        ArrayPool<long>.Shared.Return(cells);

        return ExponentialHistogram.Create(layout.Scale, counts[0], layout.MinIndex, counts.AsSpan(1), sum, min, max, ExponentialLayout.MinValue);
    }

    /// <summary><see cref="ExponentialLayout.Cell"/> with the layout's fields in registers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static nint Cell(ref ulong thresholds, int shift, long keyMin, long keyLast, double value)
    {
        ulong bits = BitConverter.DoubleToUInt64Bits(value) << 1; // drops the sign bit: -0.0 reads as 0.0
        long key = Math.Min(Math.Max((long)(bits >> shift) - keyMin, 0), keyLast);
        return (nint)(2 * key) + (bits >= Unsafe.Add(ref thresholds, (nint)key) ? 1 : 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(ref double stats, double value) =>
        Add(ref stats, ref Unsafe.Add(ref stats, 1), ref Unsafe.Add(ref stats, 2), value); // plain: owner-only, as above

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Add(ref double sum, ref double min, ref double max, double value)
    {
        sum += value;
        if (value < min)
        {
            min = value + 0.0; // -0.0 becomes +0.0, as everywhere on the read side
        }

        if (value > max)
        {
            max = value;
        }
    }
}
