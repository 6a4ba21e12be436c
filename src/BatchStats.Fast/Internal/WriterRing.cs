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
/// Design:
/// - The owner thread is the only writer of <see cref="_slots"/> and of every field of <see cref="_state"/>.
///   It publishes a sample by storing the slot's fields (each a release store), then a release store of
///   <c>Head</c> (the number of samples ever published). <c>UpdateMany</c> first release-stores <c>Claim</c>
///   (the end of the sequence range it is about to write) so that readers know which slots are in flight.
/// - Readers never write. They copy slots seqlock-style (<see cref="CopyRecent"/>): acquire <c>Head</c>, copy,
///   full fence, re-read <c>Head</c>/<c>Claim</c>, and drop every copied sequence that may have been overwritten.
/// - <see cref="OwnerThread"/> is written only under the registry lock (registration and adoption of a ring
///   whose thread has exited); it is read by the owner thread itself on its slow lookup path.
/// - Invariants: <c>Head</c> and the counters only grow; slot <c>s &amp; mask</c> holds sequence <c>s</c> for
///   <c>Head - capacity &lt;= s &lt; Head</c>; capacity is a power of two larger than the window.
/// </remarks>
internal sealed class WriterRing
{
    /// <summary>Error events kept per ring for placing errors in time (the newest ones; older ones only count).</summary>
    internal const int ErrorEventCapacity = 256;

    private readonly Slot[] _slots;
    private readonly ErrorEvent[] _errorEvents = new ErrorEvent[ErrorEventCapacity];
    private readonly long _mask;
    private PaddedState _state;

    public WriterRing(object owner, int capacity, Thread ownerThread)
    {
        Debug.Assert(capacity > 0 && (capacity & (capacity - 1)) == 0, "capacity must be a power of two");
        Owner = owner;
        _slots = new Slot[capacity];
        _mask = capacity - 1;
        OwnerThread = ownerThread;
    }

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
        _writer = null; // plain store under the registry lock (its release orders it for the next registrar); the handle, if any, was collected
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
        _state.TotalProcessed += batchSize; // plain: published to readers by the release store of Head below
        Volatile.Write(ref _state.Head, head + 1); // release: the slot and counter stores above are visible before the new Head
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
    public void WriteMany(ReadOnlySpan<BatchSample> samples, bool skipInvalid, int count, long selfStamp)
    {
        long head = _state.Head; // owner-only field
        // Release: Claim is visible before any slot store below (each is a release store ordered after it), so a
        // reader that sees an overwritten slot also sees that the whole range [Head, Claim) is in flight.
        Volatile.Write(ref _state.Claim, head + count); // release: ordered before the slot stores below
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

            seq++;
        }

        Debug.Assert(seq == head + count, "count must match the filter");
        _state.TotalProcessed += sum; // plain: published by the release store of Head below
        Volatile.Write(ref _state.Head, seq); // release: every slot of the batch and the counter are visible before the new Head
    }

    /// <summary>Notes the coarse tick at which the owner last read the precise clock.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void SetCoarseTick(long coarseTick) => _state.LastCoarseTick = coarseTick; // owner-only field

    /// <summary>Adds to the error counter and records the event at <paramref name="timestamp"/>. Owner thread only.</summary>
    public void AddErrors(int count, long timestamp)
    {
        long head = _state.ErrorHead; // owner-only field
        ref ErrorEvent e = ref _errorEvents[(int)(head & (ErrorEventCapacity - 1))];
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
            destination[i] = _errorEvents[(int)((head - count + i) & (ErrorEventCapacity - 1))];
        }

        Interlocked.MemoryBarrier(); // full fence: the copies complete before ErrorHead is read again
        long firstIntact = Volatile.Read(ref _state.ErrorHead) + 1 - ErrorEventCapacity; // acquire; one event may be in flight
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

    /// <summary>The number of samples published so far (the head).</summary>
    public long Published => Volatile.Read(ref _state.Head); // acquire

    /// <summary>True when no sample was ever published on this ring.</summary>
    public bool IsEmpty => Published == 0;

    /// <summary>
    /// The greatest timestamp among the samples still stored in this ring. Only for a ring whose owner has exited
    /// (the registrar, under the registry lock): nobody writes the slots meanwhile.
    /// </summary>
    public long MaxStoredStamp()
    {
        long head = Volatile.Read(ref _state.Head); // acquire: the dead owner's slot stores happened before its last Head release
        long max = long.MinValue;
        for (long seq = Math.Max(0, head - _slots.Length); seq < head; seq++)
        {
            max = Math.Max(max, _slots[(int)(seq & _mask)].Timestamp);
        }

        return max;
    }

    /// <summary>A cheap change detector: grows with every completed record, error or rejection on this ring.</summary>
    public long Version =>
        Volatile.Read(ref _state.Head) + Volatile.Read(ref _state.Errors) + Volatile.Read(ref _state.Rejected); // acquire loads of monotonic counters

    /// <summary>
    /// Copies up to <paramref name="max"/> of the most recent samples (oldest first) into <paramref name="destination"/>,
    /// never a torn one, and reads this ring's counters consistently with them.
    /// </summary>
    /// <returns>The number of samples copied.</returns>
    public int CopyRecent(Span<Slot> destination, int max, out RingCounters counters)
    {
        Debug.Assert(max <= _slots.Length && destination.Length >= max, "destination must hold max samples");
        const int Attempts = 4;
        for (int attempt = 1; ; attempt++)
        {
            long head = Volatile.Read(ref _state.Head); // acquire: every slot below head and the counters are fully written
            int count = (int)Math.Min(head, max);
            long from = head - count;
            CopySequences(from, count, destination);
            long firstIntact = FirstIntactAfterCopy();
            counters = ReadCounters(head);
            if (from >= firstIntact)
            {
                return count;
            }

            if (attempt == Attempts)
            {
                // The writer lapped the slack Attempts times in a row: keep only the intact, newest part.
                int dropped = (int)Math.Min(count, firstIntact - from);
                destination.Slice(dropped, count - dropped).CopyTo(destination);
                return count - dropped;
            }
        }
    }

    /// <summary>
    /// Copies the samples published since sequence <paramref name="from"/> (oldest first), never a torn one, with this
    /// ring's counters read consistently with them: the incremental reader's delta.
    /// </summary>
    /// <param name="from">The first sequence wanted (the reader's previous head of this ring).</param>
    /// <param name="destination">Receives the samples; when more than fit were published, nothing is copied.</param>
    /// <param name="counters">The ring's counters as of the copied head.</param>
    /// <returns>The number of samples copied, or -1 when they do not fit or the writer may have overwritten the first of them.</returns>
    public int CopySince(long from, Span<Slot> destination, out RingCounters counters)
    {
        long head = Volatile.Read(ref _state.Head); // acquire: every slot below head and the counters are fully written
        counters = ReadCounters(head);
        long count = head - from;
        if (count < 0 || count > destination.Length || count >= _slots.Length)
        {
            return -1;
        }

        if (count == 0)
        {
            return 0;
        }

        CopySequences(from, (int)count, destination);
        return from >= FirstIntactAfterCopy() ? (int)count : -1;
    }

    /// <summary>
    /// After copying slots: the first sequence whose copy is known intact (lower ones may have been overwritten, or be
    /// in flight, while they were copied).
    /// </summary>
    private long FirstIntactAfterCopy()
    {
        // Full fence: the slot copies must complete before Head/Claim are read again (an acquire load alone would let
        // the earlier plain loads move after it).
        Interlocked.MemoryBarrier(); // full fence: copies complete before Head/Claim are re-read
        long head = Volatile.Read(ref _state.Head); // acquire
        long claim = Volatile.Read(ref _state.Claim); // acquire
        return Math.Max(head + 1, claim) - _slots.Length;
    }

    /// <summary>The counters, read after an acquire of Head that returned <paramref name="head"/>.</summary>
    private RingCounters ReadCounters(long head) => new(
        head,
        Volatile.Read(ref _state.TotalProcessed), // acquire after the Head acquire: at least the value published with head
        Volatile.Read(ref _state.Errors), // acquire
        Volatile.Read(ref _state.Rejected)); // acquire

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
