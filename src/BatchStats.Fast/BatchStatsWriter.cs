using System;
using System.Runtime.CompilerServices;
using System.Threading;
using BatchStats.Fast.Internal;

namespace BatchStats.Fast;

/// <summary>
/// A recording handle bound to one worker thread and one <see cref="LockFreeBatchStats"/>: it holds the thread's
/// ring, so a record is the validation and the ring store, with no thread-local lookup. Take it once per worker
/// thread with <see cref="LockFreeBatchStats.CreateWriter"/> and keep it in the worker loop.
/// </summary>
/// <remarks>
/// <para>Why: the tracker's own <c>Update</c> finds the calling thread's ring through a thread-local variable. In a
/// worker loop that also calls other code, the JIT cannot keep that lookup out of the loop, and on most platforms it
/// is a call into the runtime that also forces the caller's values out of registers; on the benchmark machine it
/// was the largest single cost of a record. The handle skips it.</para>
/// <para>Thread check: every method checks that it runs on the creating thread and otherwise throws
/// <see cref="InvalidOperationException"/>, recording nothing (two threads writing one ring would break the
/// single-writer protocol). The record methods check cheaply: the handle remembers the range of stack addresses it
/// has already been called from on its thread, and a call whose own stack address lies in that range is on that
/// thread, because the stacks of running threads never overlap. Any other call compares
/// <see cref="Thread.CurrentThread"/> with the creating thread (and widens the range when they match), so a call
/// from any other running thread always throws. One case goes unnoticed: after the creating thread has exited, a new
/// thread that happens to run on the same stack memory passes the quick check. It is then the only thread writing the
/// handle's ring — the tracker never hands a ring to another thread while its handle is reachable — so no sample is
/// lost or torn; its samples count as the handle's. The remembered range is capped at 2 KiB, less than what
/// separates two threads' stacks, so it can never cover two threads at once; calls from depths farther apart than that
/// still record, the farther ones after the exact check (call the handle from the worker loop itself or a helper it
/// calls).</para>
/// <para>Semantics, validation and bad-input rules are exactly those of the tracker's own methods. A handle holds
/// no resources: drop it with the worker. While it is reachable its ring is kept for it even after its thread exits.</para>
/// </remarks>
[SkipLocalsInit] // the stack-address marker is never read, only its address
public sealed class BatchStatsWriter
{
    private readonly LockFreeBatchStats _stats;
    private readonly WriterRing _ring;
    private readonly Thread _thread;

    // The stack addresses [_stackLow, _stackHigh] this handle has been called from on its thread. Only the owner
    // thread writes them, and only to widen the range; another thread may read them at any time without ordering
    // (each is pointer-sized, so reads are atomic): any mix of older and newer bounds is a range inside the newest one,
    // and every such range lies inside the owner thread's stack.
    private nuint _stackLow;
    private nuint _stackHigh;

    /// <summary>
    /// The widest remembered range of stack addresses: less than what separates one thread's usable stack from the
    /// next one's (a guard page, and on Linux also the thread's descriptor at the top of its stack mapping), so the
    /// range can never hold addresses of two threads' stacks. A loop calls from one or a few depths, far within it;
    /// calls from farther away still record, after the exact check.
    /// </summary>
    private const nuint MaxStackRange = 2 * 1024;

    internal BatchStatsWriter(LockFreeBatchStats stats, WriterRing ring, nuint stackAddress)
    {
        _stats = stats;
        _ring = ring;
        _thread = Thread.CurrentThread;
        _stackLow = stackAddress;
        _stackHigh = stackAddress;
    }

    /// <summary>The tracker this handle records into.</summary>
    public LockFreeBatchStats Stats => _stats;

    /// <summary>Records one batch, stamped now (see <see cref="LockFreeBatchStats.Update(double, int, double, double, int)"/>).</summary>
    /// <param name="processingTime">Seconds spent processing; finite, non-negative.</param>
    /// <param name="batchSize">Items in the batch; non-negative.</param>
    /// <param name="queueTime">Seconds the batch waited; finite, non-negative.</param>
    /// <param name="latency">End-to-end seconds; finite, non-negative.</param>
    /// <param name="queueLength">Queue length when the batch was taken; non-negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">A value is invalid and the policy is <see cref="InvalidSamplePolicy.Throw"/>.</exception>
    /// <exception cref="InvalidOperationException">Called from a thread other than the one that created this handle.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Update(double processingTime, int batchSize, double queueTime, double latency = 0, int queueLength = 0)
    {
        byte marker;
        if (!OnOwnStack((nuint)(&marker)))
        {
            ConfirmThread((nuint)(&marker));
        }

        _stats.Record(_ring, processingTime, batchSize, queueTime, latency, queueLength);
    }

    /// <summary>Records one batch (see <see cref="LockFreeBatchStats.Update(in BatchSample)"/>).</summary>
    /// <param name="sample">The sample; Timestamp 0 = stamp now.</param>
    /// <exception cref="ArgumentOutOfRangeException">A field is invalid and the policy is <see cref="InvalidSamplePolicy.Throw"/>.</exception>
    /// <exception cref="InvalidOperationException">Called from a thread other than the one that created this handle.</exception>
    /// <remarks>The fast path is inline and makes no call; anything else (first call from a new stack depth, bad
    /// input, -0.0, Timestamp 0) is one out-of-line call.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public unsafe void Update(in BatchSample sample)
    {
        byte marker;
        nuint here = (nuint)(&marker);
        if (OnOwnStack(here)
            && _ring.TryWriteCallerStamped(sample.ProcessingTime, sample.BatchSize, sample.QueueTime, sample.Latency, sample.QueueLength, sample.Timestamp))
        {
            return;
        }

        UpdateSlow(here, sample.ProcessingTime, sample.BatchSize, sample.QueueTime, sample.Latency, sample.QueueLength, sample.Timestamp);
    }

    /// <summary>Records several batches as one publication (see <see cref="LockFreeBatchStats.UpdateMany"/>).</summary>
    /// <param name="samples">The samples, oldest first.</param>
    /// <exception cref="ArgumentOutOfRangeException">A sample is invalid and the policy is <see cref="InvalidSamplePolicy.Throw"/> (nothing is recorded).</exception>
    /// <exception cref="InvalidOperationException">Called from a thread other than the one that created this handle.</exception>
    public void UpdateMany(ReadOnlySpan<BatchSample> samples)
    {
        CheckThread();
        if (!samples.IsEmpty)
        {
            _stats.RecordMany(_ring, samples);
        }
    }

    /// <summary>Counts failed batches (see <see cref="LockFreeBatchStats.RecordError(int)"/>).</summary>
    /// <param name="count">Number of errors; at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1 and the policy is <see cref="InvalidSamplePolicy.Throw"/>.</exception>
    /// <exception cref="InvalidOperationException">Called from a thread other than the one that created this handle.</exception>
    public void RecordError(int count = 1)
    {
        CheckThread();
        _stats.RecordError(_ring, count, 0);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private bool OnOwnStack(nuint here) => here >= _stackLow && here <= _stackHigh; // plain loads, no acquire needed: nothing is published through these fields, and any mix of their values is a confirmed range

    /// <summary>
    /// The out-of-line part of <see cref="Update(in BatchSample)"/>: the exact thread check unless the stack range
    /// already vouches for this call (the inline path also comes here for bad input, -0.0 and Timestamp 0), then the
    /// full record path.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void UpdateSlow(nuint here, double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp)
    {
        if (!OnOwnStack(here))
        {
            ConfirmThread(here);
        }

        _stats.RecordSlow(_ring, processingTime, batchSize, queueTime, latency, queueLength, timestamp);
    }

    /// <summary>Throws unless this is the creating thread; if it is, remembers <paramref name="here"/> as one of its stack addresses.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ConfirmThread(nuint here)
    {
        CheckThread();
        nuint low = Math.Min(_stackLow, here);
        nuint high = Math.Max(_stackHigh, here);
        if (high - low > MaxStackRange)
        {
            return; // confirmed, but not remembered: the range stays small (see MaxStackRange)
        }

        _stackLow = low; // plain store, no release needed: atomic (pointer-sized), owner-only, widening only (see the fields' comment)
        _stackHigh = high; // plain store, no release needed: as above
    }

    private void CheckThread()
    {
        if (!ReferenceEquals(Thread.CurrentThread, _thread))
        {
            ThrowWrongThread();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowWrongThread() =>
        throw new InvalidOperationException("A BatchStatsWriter records only on the thread that created it; call CreateWriter on each worker thread.");
}
