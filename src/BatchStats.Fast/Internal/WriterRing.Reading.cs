using System;
using System.Threading;

namespace BatchStats.Fast.Internal;

/// <content>The reader side (any thread): seqlock copies of the slots and consistent reads of the counters.</content>
internal sealed partial class WriterRing
{
    /// <summary>Copies a reader tries before it settles for the last-resort cut (spinning first, then yielding).</summary>
    internal const int CopyAttempts = 64;

    private static long s_lappedCopies;
    private static long s_lastResortCuts;

    /// <summary>Process-wide: copies retried because the writer may have overwritten them, and last-resort cuts (for benchmarks).</summary>
    internal static (long Lapped, long Cuts) CopyStatistics => (Volatile.Read(ref s_lappedCopies), Volatile.Read(ref s_lastResortCuts)); // acquire: counters other threads increment

    /// <summary>The number of samples published so far.</summary>
    public long Head => Volatile.Read(ref _state.Head); // acquire: pairs with the owner's release, so the slots below it are complete

    /// <summary>A cheap change detector: grows with every completed record, error or rejection on this ring.</summary>
    public long Version =>
        Volatile.Read(ref _state.Head) + Volatile.Read(ref _state.Errors) + Volatile.Read(ref _state.Rejected); // acquire loads of monotonic counters

    /// <summary>Test hook: runs in <see cref="PublishMany"/> between staging the total and releasing Head (owner thread).</summary>
    internal Action? BeforePublish { get; set; }

    /// <summary>Test hook: runs in <c>CopyRecent</c> after Head was read and before the slots are copied.</summary>
    internal Action? BeforeCopy { get; set; }

    /// <summary>
    /// Copies the newest <c>min(max, Head - notBefore)</c> samples (oldest first) into <paramref name="destination"/>,
    /// never a torn one and never part of a publication, with the ring's counters as of the copied Head. A copy the
    /// writer may have overwritten is retried (spinning, then yielding); after <see cref="CopyAttempts"/> lapped copies
    /// in a row it keeps the intact newest part from a publication boundary on (<paramref name="cut"/>).
    /// </summary>
    /// <param name="destination">At least <paramref name="max"/> long.</param>
    /// <param name="max">Samples wanted at most (the window size).</param>
    /// <param name="notBefore">The first sequence wanted at all (0: every sample still stored).</param>
    /// <param name="counters">The counters; <see cref="RingCounters.BatchCount"/> is the Head the copy ends at.</param>
    /// <param name="cut">True when the last-resort cut left out samples a quiescent reader would have copied.</param>
    /// <returns>The number of samples copied.</returns>
    public int CopyRecent(Span<Slot> destination, int max, long notBefore, out RingCounters counters, out bool cut)
    {
        if ((uint)max > (uint)_slots.Length || destination.Length < max)
        {
            throw new ArgumentOutOfRangeException(nameof(max), max, "At most the ring's capacity, and no more than the destination holds.");
        }

        SpinWait spin = default;
        for (int attempt = 1; ; attempt++)
        {
            counters = ReadCounters();
            long head = counters.BatchCount;
            BeforeCopy?.Invoke();
            int count = (int)Math.Clamp(head - notBefore, 0, max);
            long from = head - count;
            CopySequences(from, count, destination);
            (long firstIntact, long claim) = ValidateCopy();
            cut = from < firstIntact;
            if (!cut)
            {
                return count;
            }

            Interlocked.Increment(ref s_lappedCopies); // full fence; rare path: a statistic for benchmarks
            if (attempt == CopyAttempts)
            {
                Interlocked.Increment(ref s_lastResortCuts); // full fence; as above
                // Last resort: sequences from the newest batch's end (claim) on are single-record publications, so the
                // part may start at any of them; with a batch in flight (claim above head) only Head is a boundary: nothing is kept.
                int kept = (int)(head - Math.Min(head, Math.Max(firstIntact, claim)));
                destination.Slice(count - kept, kept).CopyTo(destination);
                return kept;
            }

            spin.SpinOnce(sleep1Threshold: -1); // spin, then Thread.Yield/Sleep(0); never Sleep(1)
        }
    }

    /// <inheritdoc cref="CopyRecent(Span{Slot}, int, long, out RingCounters, out bool)"/>
    public int CopyRecent(Span<Slot> destination, int max, out RingCounters counters) =>
        CopyRecent(destination, max, 0, out counters, out _);

    /// <summary>
    /// Copies the samples published since sequence <paramref name="from"/> (oldest first), never a torn one, with this
    /// ring's counters as of the copied Head: the incremental reader's delta.
    /// </summary>
    /// <param name="from">The first sequence wanted (the reader's previous Head of this ring).</param>
    /// <param name="destination">Receives the samples; when more than fit were published, nothing is copied.</param>
    /// <param name="counters">The ring's counters as of the copied Head.</param>
    /// <returns>The number of samples copied, or -1 when they do not fit or the writer may have overwritten the first of them.</returns>
    public int CopySince(long from, Span<Slot> destination, out RingCounters counters)
    {
        counters = ReadCounters();
        long count = counters.BatchCount - from;
        if (count < 0 || count > destination.Length || count >= _slots.Length)
        {
            return -1;
        }

        if (count == 0)
        {
            return 0;
        }

        CopySequences(from, (int)count, destination);
        return from >= ValidateCopy().FirstIntact ? (int)count : -1;
    }

    /// <summary>
    /// After copying slots: the first sequence whose copy is known intact (lower ones may have been overwritten, or
    /// be in flight, while they were copied), and the end of the newest <c>UpdateMany</c> range claimed so far.
    /// </summary>
    private (long FirstIntact, long Claim) ValidateCopy()
    {
        Interlocked.MemoryBarrier(); // full fence: an acquire load alone would let the earlier slot loads move after it
        long head = Volatile.Read(ref _state.Head); // acquire, after the fence: a Head that moved past the copied slots shows here
        long claim = Volatile.Read(ref _state.Claim); // acquire: a copied slot of a batch in flight implies its claim is visible
        return (Math.Max(head + 1, claim) - _slots.Length, claim);
    }

    /// <summary>The counters, with <c>TotalProcessed</c> exactly that of the Head returned (the same publications).</summary>
    private RingCounters ReadCounters()
    {
        SpinWait spin = default;
        while (true)
        {
            // The owner writes TotalProcessed, then Head, then TotalProcessedAtHead. Reading them in the opposite
            // order, the Head seen lies between the two totals' publications; equal totals pin it to that Head.
            long atHead = Volatile.Read(ref _state.TotalProcessedAtHead); // acquire: the Head released before it is visible below
            long head = Volatile.Read(ref _state.Head); // acquire: the total staged before it is visible below
            long total = Volatile.Read(ref _state.TotalProcessed); // acquire: read last, so equal totals pin the Head between them
            if (total == atHead)
            {
                return new RingCounters(head, total, Volatile.Read(ref _state.Errors), Volatile.Read(ref _state.Rejected)); // acquire loads
            }

            spin.SpinOnce(sleep1Threshold: -1); // the owner is between its stores: a few instructions
        }
    }

    private void CopySequences(long from, int count, Span<Slot> destination)
    {
        int start = (int)(from & _mask);
        int first = Math.Min(count, _slots.Length - start);
        _slots.AsSpan(start, first).CopyTo(destination);
        _slots.AsSpan(0, count - first).CopyTo(destination.Slice(first));
    }
}
