using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BatchStats.Fast.Internal;
using BenchmarkDotNet.Attributes;

namespace BatchStats.Fast.Benchmarks;

/// <summary>
/// The binning pass on its own and taken apart: what one record's three values cost to bin, and which part is the
/// floor. Values spread over a few buckets around 1 ms (as a steady service's times do), 64 records per pass.
/// </summary>
/// <remarks>
/// The parts are written out here (not the library's code) so that each can be removed: <see cref="CellsOnly"/>
/// computes the three cells and stores them; <see cref="IncrementsOnly"/> increments precomputed cells;
/// <see cref="IncrementsTwoCopies"/> does the same into two alternating copies of the cells; <see cref="SumsOnly"/> adds
/// the sums, minima and maxima. The floor of exact per-record binning is the increments.
/// </remarks>
[MemoryDiagnoser]
public class BinningBenchmarks
{
    private const int Chunk = WriterRing.BinChunk;
    private readonly ExponentialLayout _layout = ExponentialLayout.ForScale(3);
    private Slot[] _slots = null!;
    private RingHistograms _histograms = null!;
    private long[] _cells = null!;
    private nint[] _precomputed = null!;
    private nint[] _scratch = null!;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(7);
        _slots = new Slot[Chunk];
        for (int i = 0; i < Chunk; i++)
        {
            double p = 0.001 * Math.Exp(0.3 * (random.NextDouble() - 0.5));
            _slots[i] = new Slot { Timestamp = i + 1, ProcessingTime = p, QueueTime = p / 4, Latency = p * 1.5, BatchSize = 8, QueueLength = 3 };
        }

        _histograms = new RingHistograms(_layout);
        _cells = new long[6 * _layout.CellCount]; // two copies: IncrementsTwoCopies alternates between them
        _precomputed = new nint[3 * Chunk];
        for (int i = 0; i < Chunk; i++)
        {
            _precomputed[3 * i] = (nint)_layout.Cell(_slots[i].ProcessingTime);
            _precomputed[(3 * i) + 1] = _layout.CellCount + (nint)_layout.Cell(_slots[i].QueueTime);
            _precomputed[(3 * i) + 2] = (2 * _layout.CellCount) + (nint)_layout.Cell(_slots[i].Latency);
        }

        _scratch = new nint[3 * Chunk];
    }

    /// <summary>The library's pass: cells, increments, sums, minima and maxima of the three series.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Chunk)]
    public void RecordRange() =>
        _histograms.RecordRange(ref MemoryMarshal.GetArrayDataReference(_slots), Chunk - 1, 0, Chunk);

    /// <summary>The library's 256-bit pass, one record per vector: what <see cref="RecordRange"/> runs without AVX-512 (or above scale 3).</summary>
    [Benchmark(OperationsPerInvoke = Chunk)]
    public void RecordRangeAvx2() =>
        _histograms.RecordRangeAvx2(ref MemoryMarshal.GetArrayDataReference(_slots), Chunk - 1, 0, Chunk);

    /// <summary>The library's pass one value at a time, as it runs without AVX2.</summary>
    [Benchmark(OperationsPerInvoke = Chunk)]
    public void RecordRangeScalar() =>
        _histograms.RecordRangeScalar(ref MemoryMarshal.GetArrayDataReference(_slots), Chunk - 1, 0, Chunk);

    /// <summary>
    /// <c>RingHistograms.Record</c> value by value (sums, minima and maxima through memory): how <c>UpdateMany</c> binned
    /// its records before it used the chunk pass, and still bins the ones a batch longer than the ring laps.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Chunk)]
    public void RecordOneByOne()
    {
        RingHistograms histograms = _histograms;
        foreach (ref readonly Slot s in _slots.AsSpan())
        {
            histograms.Record(s.ProcessingTime, s.QueueTime, s.Latency);
        }
    }

    /// <summary>The three cells of each record computed and stored (no increment).</summary>
    [Benchmark(OperationsPerInvoke = Chunk)]
    public void CellsOnly()
    {
        ExponentialLayout layout = _layout;
        nint[] scratch = _scratch;
        for (int i = 0; i < Chunk; i++)
        {
            ref Slot s = ref _slots[i];
            scratch[3 * i] = (nint)layout.Cell(s.ProcessingTime);
            scratch[(3 * i) + 1] = (nint)layout.Cell(s.QueueTime);
            scratch[(3 * i) + 2] = (nint)layout.Cell(s.Latency);
        }
    }

    /// <summary>Only the three increments per record, at cells computed beforehand: the floor of exact counting.</summary>
    [Benchmark(OperationsPerInvoke = Chunk)]
    public void IncrementsOnly()
    {
        ref long cells = ref MemoryMarshal.GetArrayDataReference(_cells);
        ref nint at = ref MemoryMarshal.GetArrayDataReference(_precomputed);
        for (int i = 0; i < 3 * Chunk; i++)
        {
            Unsafe.Add(ref cells, Unsafe.Add(ref at, i))++;
        }
    }

    /// <summary>
    /// The increments with two copies of the cells, alternating by record: a run of values in one cell no longer makes
    /// each increment wait for the previous one's store (readers would add the copies).
    /// </summary>
    [Benchmark(OperationsPerInvoke = Chunk)]
    public void IncrementsTwoCopies()
    {
        ref long cells = ref MemoryMarshal.GetArrayDataReference(_cells);
        ref long second = ref Unsafe.Add(ref cells, 3 * _layout.CellCount);
        ref nint at = ref MemoryMarshal.GetArrayDataReference(_precomputed);
        for (int i = 0; i < 3 * Chunk; i += 6)
        {
            Unsafe.Add(ref cells, Unsafe.Add(ref at, i))++;
            Unsafe.Add(ref cells, Unsafe.Add(ref at, i + 1))++;
            Unsafe.Add(ref cells, Unsafe.Add(ref at, i + 2))++;
            Unsafe.Add(ref second, Unsafe.Add(ref at, i + 3))++;
            Unsafe.Add(ref second, Unsafe.Add(ref at, i + 4))++;
            Unsafe.Add(ref second, Unsafe.Add(ref at, i + 5))++;
        }
    }

    /// <summary>Only the sums, minima and maxima of the three series, in record order.</summary>
    [Benchmark(OperationsPerInvoke = Chunk)]
    public double SumsOnly()
    {
        double ps = 0, qs = 0, ls = 0, pmin = double.MaxValue, pmax = 0, qmin = double.MaxValue, qmax = 0, lmin = double.MaxValue, lmax = 0;
        foreach (ref readonly Slot s in _slots.AsSpan())
        {
            ps += s.ProcessingTime;
            qs += s.QueueTime;
            ls += s.Latency;
            pmin = Math.Min(pmin, s.ProcessingTime);
            pmax = Math.Max(pmax, s.ProcessingTime);
            qmin = Math.Min(qmin, s.QueueTime);
            qmax = Math.Max(qmax, s.QueueTime);
            lmin = Math.Min(lmin, s.Latency);
            lmax = Math.Max(lmax, s.Latency);
        }

        return ps + qs + ls + pmin + pmax + qmin + qmax + lmin + lmax;
    }
}
