using System;
using System.Diagnostics;
using System.Numerics;
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
internal sealed partial class WriterRing
{
    /// <summary>Error events kept per ring for placing errors in time (the newest ones; older ones only count).</summary>
    internal const int ErrorEventCapacity = 256;


    private readonly Slot[] _slots;
    private readonly ErrorEvent[] _errorEvents = new ErrorEvent[2 * ErrorEventCapacity]; // slack: an event in flight never overwrites a kept one
    private readonly long _mask;
    private readonly long _binMask; // the owner bins at every Head that is a multiple of _binMask + 1 (WriterRing.Histograms.cs)
    private PaddedState _state;

    public WriterRing(object owner, int capacity, Thread ownerThread, ExponentialLayout? layout = null)
    {
        Histograms = new RingHistograms(layout ?? ExponentialLayout.ForScale(3));
        if (capacity < 2 || !BitOperations.IsPow2(capacity))
        {
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "A ring's capacity is a power of two, at least 2.");
        }

        Owner = owner;
        _slots = GC.AllocateUninitializedArray<Slot>(capacity); // only slots below Head are ever read, and those were written
        _mask = capacity - 1;
        _binMask = Math.Max(1, Math.Min(BinChunk, capacity / 2)) - 1;
        OwnerThread = ownerThread;
    }

    /// <summary>The owner's all-time distributions (carried on by later owners).</summary>
    public RingHistograms Histograms { get; }

    /// <summary>The tracker this ring belongs to (identity check of the per-thread cache).</summary>
    public object Owner { get; }

    /// <summary>The thread that may write; replaced only under the registry lock when that thread has exited.</summary>
    public Thread OwnerThread { get; private set; }

    public int Capacity => _slots.Length;

    /// <summary>The slot memory, for tests that check which of its pages the OS has committed.</summary>
    internal ReadOnlySpan<Slot> SlotsForTests => _slots;

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
        ThrowIfOwnerAlive();
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
        ThrowIfOwnerAlive(); // only a dead owner's ring is immutable
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

    /// <summary>Registry paths that take over or scan a ring require its owner to have exited (cold paths: checked always).</summary>
    private void ThrowIfOwnerAlive()
    {
        if (OwnerThread.IsAlive)
        {
            throw new InvalidOperationException("The ring's owner thread is still running: only an exited owner's ring can be adopted or scanned.");
        }
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

    /// <summary>
    /// Writes the slots the first lap has not reached, so the OS commits their pages now and not on the record that
    /// first enters each page (a minor page fault: one record in 102 of a first lap, microseconds to milliseconds).
    /// Owner thread only; <c>CreateWriter</c> calls it, in a worker's setup, before its loop.
    /// </summary>
    public void CommitUnwrittenSlots()
    {
        long head = _state.Head; // owner-only field: a plain read sees the owner's own last write
        if (head < _slots.Length)
        {
            // Plain stores: a reader copies only slots below Head, and each of these is written again before the
            // release store of Head that publishes it.
            _slots.AsSpan((int)head).Clear();
        }
    }

    /// <summary>Publishes one sample. Owner thread only; no allocation, no shared writes but this ring's.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Write(double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp)
    {
        long head = _state.Head; // owner-only field: a plain read sees the owner's own last write
        ref Slot slot = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_slots), (nint)(head & _mask));
        StoreSlot(ref slot, processingTime, batchSize, queueTime, latency, queueLength, timestamp);
        long total = _state.TotalProcessed + batchSize;
        _state.TotalProcessed = total; // plain: published to readers by the release store of Head below
        Volatile.Write(ref _state.Head, head + 1); // release: the slot and counter stores above are visible before the new Head
        Volatile.Write(ref _state.TotalProcessedAtHead, total); // release: a reader that sees it also sees the Head above
        if (((head + 1) & _binMask) == 0)
        {
            BinPending(head + 1); // a chunk is complete: into the histograms, out of line
        }
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
        BinPending(head); // the records before this batch, so that the batch's own can be binned directly
        ClaimBins(head + count);
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
            if (seq >= firstKept)
            {
                StoreSlot(ref Unsafe.Add(ref slots, (nint)(seq & _mask)), s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength, ts);
            }
            else
            {
                Histograms.Record(s.ProcessingTime, s.QueueTime, s.Latency); // lapped within this batch: binned now, never stored
            }

            seq++;
        }

        Debug.Assert(seq == head + count, "count must match the filter");
        Histograms.RecordRange(ref slots, _mask, Math.Max(head, firstKept), head + count); // the stored ones, after the lapped ones: record order
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
        BeforeBinPublish?.Invoke();
        Volatile.Write(ref _state.BinnedTo, end); // release: the batch's cell increments (StoreMany) are visible before it
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
        Volatile.Write(ref e.Count, count); // release: after the timestamp, so a reader never pairs a new count with an old time
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

        BeforeErrorRecheck?.Invoke();
        Interlocked.MemoryBarrier(); // full fence: the copies complete before ErrorHead is read again
        long firstIntact = Volatile.Read(ref _state.ErrorHead) + 1 - _errorEvents.Length; // acquire; one event may be in flight
        int dropped = (int)Math.Clamp(firstIntact - (head - count), 0, count);
        destination.Slice(dropped, count - dropped).CopyTo(destination);
        return count - dropped;
    }

    /// <summary>Test hook: runs in <see cref="CopyErrorEvents"/> after the events were copied and before ErrorHead is read again.</summary>
    internal Action? BeforeErrorRecheck { get; set; }

    /// <summary>Adds to the rejected-sample counter. Owner thread only.</summary>
    public void AddRejected(long count)
    {
        Volatile.Write(ref _state.Rejected, _state.Rejected + count); // release, as in AddErrors
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreSlot(ref Slot slot, double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp)
    {
        // Each store is a release: none can become visible before the previous release of Head (or Claim). That is
        // what lets a reader that copied a half-overwritten slot detect it by re-reading Head/Claim after a full fence.
        Volatile.Write(ref slot.Timestamp, timestamp); // release: ordered after the previous Head (or Claim) release, as said above
        Volatile.Write(ref slot.ProcessingTime, processingTime); // release: as above
        Volatile.Write(ref slot.QueueTime, queueTime); // release: as above
        Volatile.Write(ref slot.Latency, latency); // release: as above
        Volatile.Write(ref slot.BatchSize, batchSize); // release: as above
        Volatile.Write(ref slot.QueueLength, queueLength); // release: as above
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
        [FieldOffset(128)] public long BinnedTo; // touched once per chunk: its own line, apart from the record path's
        [FieldOffset(136)] public long BinClaim;
    }
}

/// <summary>One RecordError call, placed in time.</summary>
/// <remarks>Mutable struct written field by field by the ring's owner: do not make readonly.</remarks>
internal struct ErrorEvent
{
    public long Timestamp;
    public long Count;
}
