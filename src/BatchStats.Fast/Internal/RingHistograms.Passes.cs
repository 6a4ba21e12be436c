using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace BatchStats.Fast.Internal;

// RingHistograms' binning passes: the scalar loop, one record per Vector256, two records per Vector512. Each counts
// the records of a range exactly as Record would one by one; RecordRange picks the one the machine runs best.
internal sealed partial class RingHistograms
{
    /// <summary><see cref="RecordRange"/> one value at a time (the path without AVX2; the benchmarks compare both).</summary>
    internal void RecordRangeScalar(ref Slot slots, long mask, long from, long to)
    {
        ref ulong thresholds = ref MemoryMarshal.GetArrayDataReference(_thresholds);
        int shift = _keyShift;
        long keyMin = _keyMin, keyLast = _keyLast;
        ref long cells = ref MemoryMarshal.GetArrayDataReference(_cells);
        ref long queueCells = ref Unsafe.Add(ref cells, _stride);
        ref long latencyCells = ref Unsafe.Add(ref cells, 2 * _stride);
        ref double stats = ref MemoryMarshal.GetArrayDataReference(_stats);
        double pSum = stats, pMin = Unsafe.Add(ref stats, 1), pMax = Unsafe.Add(ref stats, 2); // plain: owner-only
        double qSum = Unsafe.Add(ref stats, 3), qMin = Unsafe.Add(ref stats, 4), qMax = Unsafe.Add(ref stats, 5);
        double lSum = Unsafe.Add(ref stats, 6), lMin = Unsafe.Add(ref stats, 7), lMax = Unsafe.Add(ref stats, 8);
        for (long seq = from; seq < to; seq++)
        {
            ref Slot s = ref Unsafe.Add(ref slots, (nint)(seq & mask));
            double p = s.ProcessingTime, q = s.QueueTime, l = s.Latency;
            Unsafe.Add(ref cells, Cell(ref thresholds, shift, keyMin, keyLast, p))++; // plain, as in Record
            Unsafe.Add(ref queueCells, Cell(ref thresholds, shift, keyMin, keyLast, q))++; // plain, as in Record
            Unsafe.Add(ref latencyCells, Cell(ref thresholds, shift, keyMin, keyLast, l))++; // plain, as in Record
            Add(ref pSum, ref pMin, ref pMax, p);
            Add(ref qSum, ref qMin, ref qMax, q);
            Add(ref lSum, ref lMin, ref lMax, l);
        }

        stats = pSum; // plain stores, published by the ring's release store of BinnedTo
        (Unsafe.Add(ref stats, 1), Unsafe.Add(ref stats, 2)) = (pMin, pMax);
        (Unsafe.Add(ref stats, 3), Unsafe.Add(ref stats, 4), Unsafe.Add(ref stats, 5)) = (qSum, qMin, qMax);
        (Unsafe.Add(ref stats, 6), Unsafe.Add(ref stats, 7), Unsafe.Add(ref stats, 8)) = (lSum, lMin, lMax);
    }

    /// <summary>
    /// <see cref="RecordRange"/> with one record's three values in the lanes of one vector: the three cells from one
    /// shift, clamp, three table loads and a compare, and the sums, minima and maxima lane by lane. Each lane's
    /// operations are the scalar loop's, in the same order (<c>vaddpd</c> is the same IEEE addition, so the sums are
    /// bit for bit the same; <c>vminpd v, min</c> keeps <c>min</c> unless <c>v &lt; min</c>, as the scalar compare does).
    /// </summary>
    internal void RecordRangeAvx2(ref Slot slots, long mask, long from, long to)
    {
        ref long cells = ref MemoryMarshal.GetArrayDataReference(_cells);
        ref double stats = ref MemoryMarshal.GetArrayDataReference(_stats);
        (Vector256<double> sum, Vector256<double> min, Vector256<double> max) = LoadStats(ref stats);
        Vector256<double> times = Vector256.Create(-1L, -1L, -1L, 0L).AsDouble(); // the three times; the fourth lane (two ints) reads as 0.0
        Vector256<long> keyMin = Vector256.Create(_keyMin), keyLast = Vector256.Create(_keyLast);
        Vector256<long> seriesStart = Vector256.Create(1, _stride + 1, (2 * _stride) + 1, 1); // each series' first cell, plus the side's 1
        Vector128<ulong> shift = Vector128.CreateScalar((ulong)_keyShift); // a shift count in a register, set once
        ref long thresholds = ref MemoryMarshal.GetArrayDataReference(_signedThresholds);
        for (long seq = from; seq < to; seq++)
        {
            ref Slot s = ref Unsafe.Add(ref slots, (nint)(seq & mask));
            Vector256<double> v = Vector256.LoadUnsafe(ref s.ProcessingTime) & times; // ProcessingTime, QueueTime, Latency are consecutive
            sum = Avx.Add(sum, v);
            min = Avx.Min(v, min); // min unless v < min (either order would do: zeros are made +0.0 at the end)
            max = Avx.Max(v, max); // max unless v > max: of two zeros the first one stays, as in the scalar loop
            Vector256<ulong> bits = Avx2.ShiftLeftLogical(v.AsUInt64(), 1); // drops the sign bit: -0.0 reads as 0.0
            Vector256<long> key = Avx2.ShiftRightLogical(bits, shift).AsInt64() - keyMin;
            key = Vector256.Min(Vector256.Max(key, Vector256<long>.Zero), keyLast);
            long p = Unsafe.Add(ref thresholds, (nint)key.GetElement(0)); // three loads: as fast as a gather on the measured CPU
            long q = Unsafe.Add(ref thresholds, (nint)key.GetElement(1));
            long l = Unsafe.Add(ref thresholds, (nint)key.GetElement(2));
            Vector256<long> threshold = Vector256.Create(p, q, l, 0);
            Vector256<long> below = Avx2.CompareGreaterThan(threshold, (bits ^ Vector256.Create(ExponentialLayout.SignBit)).AsInt64()); // -1 where bits < threshold (unsigned)
            Vector256<long> cell = (key << 1) + seriesStart + below;
            Unsafe.Add(ref cells, (nint)cell.GetElement(0))++; // plain, as in Record
            Unsafe.Add(ref cells, (nint)cell.GetElement(1))++; // plain, as in Record
            Unsafe.Add(ref cells, (nint)cell.GetElement(2))++; // plain, as in Record
        }

        StoreStats(ref stats, sum, min, max);
    }

    /// <summary>
    /// <see cref="RecordRange"/> two records at a time, where 512-bit vectors run at full speed (.NET's
    /// <see cref="Vector512.IsHardwareAccelerated"/>) and the scale is at most 3. One 64-byte load holds two consecutive
    /// slots' times (the first record's in lanes 0-2, the second's in lanes 5-7, moved to 4-6 by one permute), so the
    /// keys, the clamp and the compare cost one instruction for both; the compare's thresholds come from
    /// <see cref="ExponentialLayout.SliceThresholds"/> held in two registers (<c>vpermt2q</c>), not from memory, and a
    /// value clamped to either end of the range takes its key's lower cell, as the layout's table gives it. The sums,
    /// minima and maxima stay in record order: the first record's lanes, then the second's, through the same 256-bit
    /// operations as <see cref="RecordRangeAvx2"/>, so they are bit for bit the scalar loop's. The cells of a block of
    /// up to 64 records are stored first and incremented after, a loop of plain increments whose addresses are ready at
    /// once. A record whose successor would wrap the ring, or the last of an odd range or block, goes alone through the
    /// lower lanes.
    /// </summary>
    [SkipLocalsInit]
    internal void RecordRangeAvx512(ref Slot slots, long mask, long from, long to)
    {
        const int Block = 64; // records per round of stored cells
        Span<long> stored = stackalloc long[Block * 4]; // four lanes per record: a pair's 8, a lone record's lower 4
        ref long block = ref MemoryMarshal.GetReference(stored);
        ref long cells = ref MemoryMarshal.GetArrayDataReference(_cells);
        ref double stats = ref MemoryMarshal.GetArrayDataReference(_stats);
        (Vector256<double> sum, Vector256<double> min, Vector256<double> max) = LoadStats(ref stats);
        Vector512<double> times = Vector512.Create(-1L, -1L, -1L, 0L, -1L, -1L, -1L, 0L).AsDouble(); // the ints and the next timestamp read as 0.0
        Vector512<long> halves = Vector512.Create(0L, 1, 2, 3, 5, 6, 7, 4); // the second record's times from lanes 5-7 to 4-6
        Vector512<long> keyMin = Vector512.Create(_keyMin), keyLast = Vector512.Create(_keyLast), keyTop = Vector512.Create(_keyMin + _keyLast);
        Vector512<long> seriesStart = Vector512.Create(1, _stride + 1, (2 * _stride) + 1, 1, 1, _stride + 1, (2 * _stride) + 1, 1); // plus the side's 1
        Vector512<long> mantissa = Vector512.Create((1L << 53) - 1); // bits << 1 without the exponent
        Vector128<ulong> shift = Vector128.CreateScalar((ulong)_keyShift);
        ref long table = ref MemoryMarshal.GetArrayDataReference(_sliceThresholds!);
        Vector512<long> lowSlices = Vector512.LoadUnsafe(ref table), highSlices = Vector512.LoadUnsafe(ref table, 8);
        long seq = from;
        while (seq < to)
        {
            int used = 0; // longs stored in this block
            for (int records = 0; records < Block && seq < to; records++)
            {
                nint index = (nint)(seq & mask);
                ref Slot s = ref Unsafe.Add(ref slots, index);
                bool pair = seq + 1 < to && index != (nint)mask && records + 1 < Block; // the next slot follows in memory
                Vector512<double> v = (pair
                    ? Avx512F.PermuteVar8x64(Vector512.LoadUnsafe(ref s.ProcessingTime), halves)
                    : Vector256.LoadUnsafe(ref s.ProcessingTime).ToVector512Unsafe()) & times;
                Vector256<double> first = v.GetLower();
                sum = Avx.Add(sum, first);
                min = Avx.Min(first, min); // min unless first < min, as in the AVX2 pass
                max = Avx.Max(first, max);
                if (pair)
                {
                    Vector256<double> second = v.GetUpper();
                    sum = Avx.Add(sum, second);
                    min = Avx.Min(second, min);
                    max = Avx.Max(second, max);
                }

                Vector512<ulong> bits = Avx512F.ShiftLeftLogical(v.AsUInt64(), 1); // drops the sign bit: -0.0 reads as 0.0
                Vector512<long> raw = Avx512F.ShiftRightLogical(bits, shift).AsInt64(); // exponent and slice bits
                Vector512<long> key = Vector512.Min(Vector512.Max(raw - keyMin, Vector512<long>.Zero), keyLast);
                Vector512<long> threshold = Avx512F.PermuteVar8x64x2(lowSlices, raw, highSlices); // by the slice: raw's low 4 bits
                Vector512<long> below = Vector512.GreaterThan(threshold, bits.AsInt64() & mantissa) // -1 below the slice's boundary, and at both clamped ends
                    | Vector512.GreaterThan(keyMin, raw) | Vector512.GreaterThan(raw, keyTop);
                Vector512<long> cell = (key << 1) + seriesStart + below;
                if (pair)
                {
                    cell.StoreUnsafe(ref block, (nuint)used);
                    used += 8;
                    seq += 2;
                    records++;
                }
                else
                {
                    cell.GetLower().StoreUnsafe(ref block, (nuint)used);
                    used += 4;
                    seq++;
                }
            }

            // The increments: lanes 0-2 of each group of four (a lone record's lanes, or either half of a pair's).
            for (int at = 0; at < used;)
            {
                ref long c = ref Unsafe.Add(ref block, at);
                Unsafe.Add(ref cells, (nint)c)++; // plain, as in Record
                Unsafe.Add(ref cells, (nint)Unsafe.Add(ref c, 1))++; // plain, as in Record
                Unsafe.Add(ref cells, (nint)Unsafe.Add(ref c, 2))++; // plain, as in Record
                at += 4;
            }
        }

        StoreStats(ref stats, sum, min, max);
    }

    /// <summary>The vector passes' sums, minima and maxima: series 0 to 2 in lanes 0 to 2 (lane 3 unused).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<double> Sum, Vector256<double> Min, Vector256<double> Max) LoadStats(ref double stats) =>
        (Vector256.Create(stats, Unsafe.Add(ref stats, 3), Unsafe.Add(ref stats, 6), 0), // plain: owner-only
         Vector256.Create(Unsafe.Add(ref stats, 1), Unsafe.Add(ref stats, 4), Unsafe.Add(ref stats, 7), 0),
         Vector256.Create(Unsafe.Add(ref stats, 2), Unsafe.Add(ref stats, 5), Unsafe.Add(ref stats, 8), 0));

    /// <summary>Stores what <see cref="LoadStats"/> loaded, the minima's -0.0 made +0.0 as the scalar loop does value by value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreStats(ref double stats, Vector256<double> sum, Vector256<double> min, Vector256<double> max)
    {
        min += Vector256<double>.Zero; // -0.0 becomes +0.0
        stats = sum.GetElement(0); // plain stores, published by the ring's release store of BinnedTo
        (Unsafe.Add(ref stats, 1), Unsafe.Add(ref stats, 2)) = (min.GetElement(0), max.GetElement(0));
        (Unsafe.Add(ref stats, 3), Unsafe.Add(ref stats, 4), Unsafe.Add(ref stats, 5)) = (sum.GetElement(1), min.GetElement(1), max.GetElement(1));
        (Unsafe.Add(ref stats, 6), Unsafe.Add(ref stats, 7), Unsafe.Add(ref stats, 8)) = (sum.GetElement(2), min.GetElement(2), max.GetElement(2));
    }
}
