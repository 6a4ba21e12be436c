using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading;

namespace BatchStats.Fast.Internal;

/// <summary>
/// A single-writer ring of <see cref="Slot"/>s plus the all-time counters of the thread that owns it.
/// </summary>
/// <remarks>
/// Design (reasoning in docs/design.md, "Writer rings"):
/// - The owner thread is the only writer of the slots, the error events and every field of <see cref="_state"/>.
///   A record stores its slot, stages <c>TotalProcessed</c>, release-stores <c>Head</c> (samples ever published),
///   then release-stores <c>TotalProcessedAtHead</c>. <c>UpdateMany</c> first release-stores <c>Claim</c> (the end of
///   the range it is about to write), so readers know which slots are in flight.
/// - Readers never write. They copy slots seqlock-style: acquire <c>Head</c>, copy, full fence, re-read
///   <c>Head</c>/<c>Claim</c>, and retry while the writer may have overwritten a copied slot.
/// - <see cref="OwnerThread"/>, the adoption point and the dead-owner stamp cache are written only under the registry lock.
/// - Invariants: <c>Head</c> and the counters only grow; slot <c>s &amp; mask</c> holds sequence <c>s</c> for
///   <c>Head - capacity &lt;= s &lt; Head</c>; capacity is a power of two at least twice the window.
/// </remarks>
internal sealed class WriterRing
{
    /// <summary>Error events kept per ring for placing errors in time (the newest ones; older ones only count).</summary>
    internal const int ErrorEventCapacity = 256;

    /// <summary>Copies a reader tries before it settles for the last-resort cut (spinning first, then yielding).</summary>
    internal const int CopyAttempts = 64;

    private static long s_lappedCopies;
    private static long s_lastResortCuts;

    /// <summary>Process-wide: copies retried because the writer may have overwritten them, and last-resort cuts (for benchmarks).</summary>
    internal static (long Lapped, long Cuts) CopyStatistics => (Volatile.Read(ref s_lappedCopies), Volatile.Read(ref s_lastResortCuts)); // acquire

    private readonly Slot[] _slots;
    private readonly ErrorEvent[] _errorEvents = new ErrorEvent[2 * ErrorEventCapacity]; // slack: an event in flight never overwrites a kept one
    private readonly long _mask;
    private PaddedState _state;

    public WriterRing(object owner, int capacity, Thread ownerThread, ExponentialLayout? layout = null)
    {
        Histograms = new RingHistograms(layout ?? ExponentialLayout.ForScale(3));
        Debug.Assert(capacity > 0 && (capacity & (capacity - 1)) == 0, "capacity must be a power of two");
        Owner = owner;
        _slots = GC.AllocateUninitializedArray<Slot>(capacity); // only slots below Head are ever read, and those were written
        _mask = capacity - 1;
        OwnerThread = ownerThread;
    }

    /// <summary>The owner's all-time distributions (carried on by later owners).</summary>
    public RingHistograms Histograms { get; }

    /// <summary>The tracker this ring belongs to (identity check of the per-thread cache).</summary>
    public object Owner { get; }

    /// <summary>The thread that may write; replaced only under the registry lock when that thread has exited.</summary>
    public Thread OwnerThread { get; private set; }

    public int Capacity => _slots.Length;

    /// <summary>
    /// The thread's <see cref="BatchStatsWriter"/> for this ring, if one was created and is still reachable. Set by
    /// the owner thread (<see cref="LockFreeBatchStats.CreateWriter"/>); read by the owner and, under the registry
    /// lock, by the thread that looks for a ring to reuse.
    /// </summary>
    public BatchStatsWriter? Writer
    {
        get
        {
            WeakReference<BatchStatsWriter>? w = Volatile.Read(ref _writer); // acquire: pairs with the owner's release store in SetWriter
            return w is not null && w.TryGetTarget(out BatchStatsWriter? writer) ? writer : null;
        }
    }

    /// <summary>Remembers the thread's handle (weakly: a dropped handle frees the ring for reuse). Owner thread only.</summary>
    public void SetWriter(BatchStatsWriter writer) =>
        Volatile.Write(ref _writer, new WeakReference<BatchStatsWriter>(writer)); // release: the handle is fully built before another thread can see it

    private WeakReference<BatchStatsWriter>? _writer;

    /// <summary>Hands a ring whose owner has exited to the calling thread (under the registry lock).</summary>
    public void Adopt(Thread newOwner)
    {
        Debug.Assert(!OwnerThread.IsAlive, "only a dead thread's ring can be adopted");
        // Full fence: the new owner's later plain reads of its own fields must observe the dead owner's last
        // stores (its Head/counter stores were releases; this fence gives the adopter the matching acquire).
        Interlocked.MemoryBarrier(); // full fence: acquire side of the dead owner's last releases
        OwnerThread = newOwner;
        Volatile.Write(ref _adoptedAt, _state.Head); // release: the registrar's cutoff computation may read it outside the lock
        _newestStampWhileDead = null;
        _writer = null; // plain store under the registry lock (its release orders it for the next registrar); the handle, if any, was collected
    }

    /// <summary>The Head at which the current owner took this ring (0 for its first owner). Registry lock only.</summary>
    public long AdoptedAt => Volatile.Read(ref _adoptedAt); // acquire: pairs with the release in Adopt (a stale, smaller value only means more to scan)

    private long _adoptedAt;

    private long? _newestStampWhileDead; // registry lock only; valid while the owner is dead (nobody writes then)

    /// <summary>
    /// The greatest timestamp the current (exited) owner recorded, or null if it recorded none; earlier owners'
    /// samples were all out of the window when the ring was adopted. Registry lock only, after the owner has exited:
    /// computed once (the slots no longer change), so each dead owner's samples are scanned at most once.
    /// </summary>
    public long? NewestStampSinceAdoption()
    {
        Debug.Assert(!OwnerThread.IsAlive, "only a dead owner's ring is immutable");
        if (_newestStampWhileDead is null)
        {
            long head = Volatile.Read(ref _state.Head); // acquire: the dead owner's slot stores happened before its last Head release
            long max = long.MinValue;
            for (long seq = Math.Max(AdoptedAt, head - _slots.Length); seq < head; seq++)
            {
                max = Math.Max(max, _slots[(int)(seq & _mask)].Timestamp);
            }

            _newestStampWhileDead = max;
        }

        return _newestStampWhileDead == long.MinValue ? null : _newestStampWhileDead;
    }

    // ---- writer side (owner thread only) ----

    /// <summary>The timestamp of the last sample written (0 when none), for strictly increasing self-stamps.</summary>
    /// <remarks>Read back from the newest slot rather than kept in a field, so caller-stamped records store nothing extra.</remarks>
    public long LastStamp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            long head = _state.Head; // owner-only field: a plain read sees the owner's own last write
            return head == 0 ? 0 : Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_slots), (nint)((head - 1) & _mask)).Timestamp; // own write
        }
    }

    /// <summary>The coarse tick at which the owner last read the precise clock.</summary>
    public long LastCoarseTick
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => _state.LastCoarseTick; // owner-only field
    }

    /// <summary>Publishes one sample. Owner thread only; no allocation, no shared writes but this ring's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp)
    {
        long head = _state.Head; // owner-only field: a plain read sees the owner's own last write
        ref Slot slot = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_slots), (nint)(head & _mask));
        StoreSlot(ref slot, processingTime, batchSize, queueTime, latency, queueLength, timestamp);
        Histograms.Record(processingTime, queueTime, latency);
        long total = _state.TotalProcessed + batchSize;
        _state.TotalProcessed = total; // plain: published to readers by the release store of Head below
        Volatile.Write(ref _state.Head, head + 1); // release: the slot and counter stores above are visible before the new Head
        Volatile.Write(ref _state.TotalProcessedAtHead, total); // release: a reader that sees it also sees the Head above
    }

    /// <summary>Publishes one caller-stamped sample if it passes the fast check (<see cref="SampleValidation.IsValidCallerStamped"/>); false otherwise, writing nothing. Owner thread only.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryWriteCallerStamped(double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp)
    {
        if (!SampleValidation.IsValidCallerStamped(processingTime, batchSize, queueTime, latency, queueLength, timestamp))
        {
            return false;
        }

        Write(processingTime, batchSize, queueTime, latency, queueLength, timestamp);
        return true;
    }

    /// <summary>Publishes samples[..] as one step: readers see all of them or none. Owner thread only.</summary>
    /// <param name="samples">Samples to write (already validated), oldest first.</param>
    /// <param name="skipInvalid">Skip samples that fail validation (the drop policy); false when all are known valid.</param>
    /// <param name="count">How many samples are written (pass validation).</param>
    /// <param name="selfStamp">First self-stamp for samples whose timestamp is 0 (each next one adds 1 tick); unused when none is 0.</param>
    public void WriteMany(ReadOnlySpan<BatchSample> samples, bool skipInvalid, int count, long selfStamp) =>
        PublishMany(_state.Head + count, StoreMany(samples, skipInvalid, count, selfStamp)); // owner-only field

    /// <summary>
    /// The first half of <see cref="WriteMany"/>: claims the range and stores the slots, but does not publish them
    /// (tests hold a publication in flight between the halves).
    /// </summary>
    /// <returns>The batch's sum of batch sizes, for <see cref="PublishMany"/>.</returns>
    internal long StoreMany(ReadOnlySpan<BatchSample> samples, bool skipInvalid, int count, long selfStamp)
    {
        long head = _state.Head; // owner-only field
        Volatile.Write(ref _state.Claim, head + count); // release: readers that see any slot store below also see the claim
        long firstKept = head + count - _slots.Length; // earlier sequences would be overwritten within this call
        long seq = head;
        long sum = 0;
        ref Slot slots = ref MemoryMarshal.GetArrayDataReference(_slots);
        foreach (ref readonly BatchSample s in samples)
        {
            if (skipInvalid && !SampleValidation.IsValid(s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength, s.Timestamp))
            {
                continue;
            }

            long ts = s.Timestamp != 0 ? s.Timestamp : selfStamp++;
            sum += s.BatchSize;
            Histograms.Record(s.ProcessingTime, s.QueueTime, s.Latency);
            if (seq >= firstKept)
            {
                StoreSlot(ref Unsafe.Add(ref slots, (nint)(seq & _mask)), s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength, ts);
            }

            seq++;
        }

        Debug.Assert(seq == head + count, "count must match the filter");
        return sum;
    }

    /// <summary>The second half of <see cref="WriteMany"/>: publishes the range up to <paramref name="end"/>.</summary>
    internal void PublishMany(long end, long sum)
    {
        long total = _state.TotalProcessed + sum;
        _state.TotalProcessed = total; // plain: published by the release store of Head below
        BeforePublish?.Invoke();
        Volatile.Write(ref _state.Head, end); // release: every slot of the batch and the counter are visible before the new Head
        Volatile.Write(ref _state.TotalProcessedAtHead, total); // release: as in Write
    }

    /// <summary>Notes the coarse tick at which the owner last read the precise clock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetCoarseTick(long coarseTick) => _state.LastCoarseTick = coarseTick; // owner-only field

    /// <summary>Adds to the error counter and records the event at <paramref name="timestamp"/>. Owner thread only.</summary>
    public void AddErrors(int count, long timestamp)
    {
        long head = _state.ErrorHead; // owner-only field
        ref ErrorEvent e = ref _errorEvents[(int)(head & (_errorEvents.Length - 1))];
        Volatile.Write(ref e.Timestamp, timestamp); // release stores, as in StoreSlot: ordered after the previous ErrorHead release
        Volatile.Write(ref e.Count, count); // release
        Volatile.Write(ref _state.Errors, _state.Errors + count); // release: readers' acquire loads see a whole, current value
        Volatile.Write(ref _state.ErrorHead, head + 1); // release: the event is complete before readers see it
    }

    /// <summary>
    /// Copies this ring's retained error events (oldest first, never a torn one) into <paramref name="destination"/>
    /// (at least <see cref="ErrorEventCapacity"/> long).
    /// </summary>
    public int CopyErrorEvents(Span<ErrorEvent> destination)
    {
        long head = Volatile.Read(ref _state.ErrorHead); // acquire: events below head are complete
        int count = (int)Math.Min(head, ErrorEventCapacity);
        for (int i = 0; i < count; i++)
        {
            destination[i] = _errorEvents[(int)((head - count + i) & (_errorEvents.Length - 1))];
        }

        Interlocked.MemoryBarrier(); // full fence: the copies complete before ErrorHead is read again
        long firstIntact = Volatile.Read(ref _state.ErrorHead) + 1 - _errorEvents.Length; // acquire; one event may be in flight
        int dropped = (int)Math.Clamp(firstIntact - (head - count), 0, count);
        destination.Slice(dropped, count - dropped).CopyTo(destination);
        return count - dropped;
    }

    public void AddRejected(long count)
    {
        Volatile.Write(ref _state.Rejected, _state.Rejected + count); // release, as in AddErrors
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSlot(ref Slot slot, double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp)
    {
        // Each store is a release: none can become visible before the previous release of Head (or Claim). That is
        // what lets a reader that copied a half-overwritten slot detect it by re-reading Head/Claim after a full fence.
        Volatile.Write(ref slot.Timestamp, timestamp); // release
        Volatile.Write(ref slot.ProcessingTime, processingTime); // release
        Volatile.Write(ref slot.QueueTime, queueTime); // release
        Volatile.Write(ref slot.Latency, latency); // release
        Volatile.Write(ref slot.BatchSize, batchSize); // release
        Volatile.Write(ref slot.QueueLength, queueLength); // release
    }

    // ---- reader side (any thread) ----

    /// <summary>The number of samples published so far.</summary>
    public long Head => Volatile.Read(ref _state.Head); // acquire

    /// <summary>True when no sample was ever published on this ring.</summary>
    public bool IsEmpty => Head == 0;

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
        Debug.Assert(max <= _slots.Length && destination.Length >= max, "destination must hold max samples");
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
                // Last resort: sequences from the newest batch's end on are single-record publications, so the part
                // may start at any of them (or at that end); below it, only Head is a known boundary.
                long keepFrom = claim <= head ? Math.Max(firstIntact, claim) : head;
                int kept = (int)(head - Math.Min(head, keepFrom));
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
        long head = Volatile.Read(ref _state.Head); // acquire
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
            long total = Volatile.Read(ref _state.TotalProcessed); // acquire
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

    /// <summary>Writer-owned state, padded to its own cache lines so rings never false-share.</summary>
    /// <remarks>Mutable struct: do not make readonly.</remarks>
    [StructLayout(LayoutKind.Explicit, Size = 192)]
    private struct PaddedState
    {
        [FieldOffset(64)] public long Head;
        [FieldOffset(72)] public long Claim;
        [FieldOffset(80)] public long TotalProcessed;
        [FieldOffset(88)] public long Errors;
        [FieldOffset(96)] public long Rejected;
        [FieldOffset(104)] public long LastCoarseTick;
        [FieldOffset(112)] public long ErrorHead;
        [FieldOffset(120)] public long TotalProcessedAtHead;
    }
}

/// <summary>One RecordError call, placed in time.</summary>
/// <remarks>Mutable struct written field by field by the ring's owner: do not make readonly.</remarks>
internal struct ErrorEvent
{
    public long Timestamp;
    public long Count;
}

/// <summary>One ring's all-time counters as read by a snapshot.</summary>
internal readonly record struct RingCounters(long BatchCount, long TotalProcessed, long Errors, long Rejected);
