using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace BatchStats.Fast.Internal;

/// <content>
/// The all-time histograms: the owner bins its records into <see cref="Histograms"/> a chunk at a time, out of the
/// record path; readers add the records not yet binned, read from the slots, under a seqlock.
/// </content>
/// <remarks>
/// Why chunks: inside a real loop the work between two records (an inference) evicts the histogram cells from the
/// caches, so binning each record as it comes costs several cache misses per record. Binning the last
/// <see cref="BinChunk"/> records at once, from slots still in cache, pays those misses once per chunk.
/// Protocol (owner only writes; readers only read):
/// - <c>BinnedTo</c>: every record below it is in the cells and the series sums; release-stored after the cells.
/// - <c>BinClaim</c>: the end of the range being binned; stored, then a write barrier, before the first cell increment.
///   Claims only grow, and equal <c>BinnedTo</c> whenever the owner is not binning.
/// - A reader reads <c>BinnedTo</c> (b), the cells, <c>Head</c> (h) and the slots b..h, then, after a full fence,
///   <c>BinClaim</c>. If that is still b, no binning began since b was read: no cell it read holds a record of b..h,
///   and no slot it read was overwritten (the owner bins before it can lap a slot above b). Otherwise it retries.
///   It takes up to a whole chunk from the slots, so an owner that has published a chunk's last record but not yet
///   claimed the chunk (preempted there, say) never makes it wait.
/// - The owner bins at each Head that is a multiple of the chunk (so at most a chunk is pending) and before
///   <c>UpdateMany</c>, which bins its own records directly under a claim.
/// </remarks>
internal sealed partial class WriterRing
{
    /// <summary>Records binned at once (fewer on a ring under twice as large).</summary>
    internal const int BinChunk = 64;

    /// <summary>
    /// Test hook: runs after cells were incremented and before <c>BinnedTo</c> is released, in <see cref="BinPending"/>
    /// and in <c>PublishMany</c> (there after Head was released) (owner thread).
    /// </summary>
    internal Action? BeforeBinPublish { get; set; }

    /// <summary>Test hook: runs in <see cref="BinPending"/> before the claim, with a whole chunk pending (owner thread).</summary>
    internal Action? BeforeBinClaim { get; set; }

    /// <summary>Test hook: runs in <see cref="ReadHistogram"/> after the cells were read and before Head is (reader thread).</summary>
    internal Action? BeforeHistogramHead { get; set; }

    /// <summary>Bins the records from <c>BinnedTo</c> to <paramref name="to"/> (all published). Owner thread only.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void BinPending(long to)
    {
        long from = _state.BinnedTo; // owner-only field
        if (from >= to)
        {
            return;
        }

        Debug.Assert(to - from <= _slots.Length, "pending records are still in their slots");
        BeforeBinClaim?.Invoke();
        ClaimBins(to);
        Histograms.RecordRange(ref MemoryMarshal.GetArrayDataReference(_slots), _mask, from, to); // own slots: plain reads see the owner's writes
        BeforeBinPublish?.Invoke();
        Volatile.Write(ref _state.BinnedTo, to); // release: the increments above are visible before the new BinnedTo
    }

    /// <summary>
    /// Claims the records up to <paramref name="to"/> before their cells and sums are touched: a chunk in
    /// <see cref="BinPending"/>, or the range <c>UpdateMany</c> bins directly. Owner thread only.
    /// </summary>
    private void ClaimBins(long to)
    {
        Volatile.Write(ref _state.BinClaim, to); // release (ordered before the increments by the barrier below)
        Volatile.WriteBarrier(); // write barrier: no store after this call (cells, sums) becomes visible before the claim
    }

    /// <summary>
    /// Reads this ring's counts of <paramref name="series"/> per cell into <paramref name="cells"/> (left alone when
    /// empty) and its sum, minimum and maximum, binned records and pending ones together (any thread).
    /// </summary>
    /// <remarks>The sum adds the pending values one by one in record order onto the binned sum, as the owner will: a
    /// later read never returns a smaller sum.</remarks>
    public void ReadHistogram(int series, Span<long> cells, out double sum, out double min, out double max)
    {
        Span<double> pending = stackalloc double[BinChunk];
        SpinWait spin = default;
        while (true)
        {
            long binned = Volatile.Read(ref _state.BinnedTo); // acquire: the cells hold every record below it
            Histograms.Read(series, cells, out sum, out min, out max);
            BeforeHistogramHead?.Invoke();
            long head = Volatile.Read(ref _state.Head); // acquire: the slots below it are complete
            long count = head - binned;
            if (count >= 0 && count <= BinChunk)
            {
                ref Slot slots = ref MemoryMarshal.GetArrayDataReference(_slots);
                for (int i = 0; i < (int)count; i++)
                {
                    ref Slot s = ref Unsafe.Add(ref slots, (nint)((binned + i) & _mask));
                    pending[i] = series switch { RingHistograms.Processing => s.ProcessingTime, RingHistograms.Queue => s.QueueTime, _ => s.Latency };
                }

                Interlocked.MemoryBarrier(); // full fence: the cell and slot loads complete before the claim is read
                if (Volatile.Read(ref _state.BinClaim) == binned) // acquire: unchanged, so nothing read above was binned or overwritten since
                {
                    Histograms.Add(pending[..(int)count], cells, ref sum, ref min, ref max);
                    return;
                }
            }

            spin.SpinOnce(sleep1Threshold: -1); // the owner is binning (a chunk takes well under a microsecond) or in an UpdateMany
        }
    }
}
