using System;
using System.Runtime.CompilerServices;
using BatchStats.Fast.Internal;

namespace BatchStats.Fast;

/// <summary>
/// A recording handle bound to one worker thread and one <see cref="LockFreeBatchStats"/>: it holds the thread's
/// ring, so a record is the validation and the ring store, with no thread-local lookup. Take it once per worker
/// thread with <see cref="LockFreeBatchStats.CreateWriter"/> and keep it in the worker loop.
/// </summary>
/// <remarks>
/// <para>Why: the tracker's own <c>Update</c> finds the calling thread's ring through a thread-local lookup that the
/// JIT cannot keep out of a worker loop that also calls other code; the handle holds the ring instead.</para>
/// <para>Thread check: every method first checks that it runs on the creating thread and otherwise throws
/// <see cref="InvalidOperationException"/>, recording nothing, because two threads writing one ring would break the
/// single-writer protocol. All methods make the same exact check: a compare of a per-thread token (a number the
/// library gives each thread that creates a handle, never to two threads) with the creator's. A new thread that
/// starts after the creator has exited therefore never passes it, even where it reuses the dead thread's stack or
/// managed thread id.</para>
/// <para>Semantics, validation and bad-input rules are exactly those of the tracker's own methods. A handle holds
/// no resources: drop it with the worker. While it is reachable its ring is kept for it even after its thread exits,
/// and every record method keeps the handle reachable until it returns.</para>
/// </remarks>
public sealed class BatchStatsWriter
{
    private readonly LockFreeBatchStats _stats;
    private readonly WriterRing _ring;
    private readonly long _token;

    internal BatchStatsWriter(LockFreeBatchStats stats, WriterRing ring)
    {
        _stats = stats;
        _ring = ring;
        _token = ThreadToken.Current;
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
    public void Update(double processingTime, int batchSize, double queueTime, double latency = 0, int queueLength = 0)
    {
        CheckThread();
        _stats.Record(_ring, processingTime, batchSize, queueTime, latency, queueLength);
        GC.KeepAlive(this); // reachable until the record is published: the ring is never adopted while this handle is
    }

    /// <summary>Records one batch (see <see cref="LockFreeBatchStats.Update(in BatchSample)"/>).</summary>
    /// <param name="sample">The sample; Timestamp 0 = stamp now.</param>
    /// <exception cref="ArgumentOutOfRangeException">A field is invalid and the policy is <see cref="InvalidSamplePolicy.Throw"/>.</exception>
    /// <exception cref="InvalidOperationException">Called from a thread other than the one that created this handle.</exception>
    /// <remarks>The fast path is inline and makes no call; anything else (the wrong thread, bad input, -0.0,
    /// Timestamp 0) is one out-of-line call.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Update(in BatchSample sample)
    {
        if (ThreadToken.Peek != _token
            || !_ring.TryWriteCallerStamped(sample.ProcessingTime, sample.BatchSize, sample.QueueTime, sample.Latency, sample.QueueLength, sample.Timestamp))
        {
            UpdateSlow(sample.ProcessingTime, sample.BatchSize, sample.QueueTime, sample.Latency, sample.QueueLength, sample.Timestamp);
        }

        GC.KeepAlive(this); // as in Update(double, ...)
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

        GC.KeepAlive(this); // as in Update(double, ...)
    }

    /// <summary>Counts failed batches (see <see cref="LockFreeBatchStats.RecordError(int)"/>).</summary>
    /// <param name="count">Number of errors; at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1 and the policy is <see cref="InvalidSamplePolicy.Throw"/>.</exception>
    /// <exception cref="InvalidOperationException">Called from a thread other than the one that created this handle.</exception>
    public void RecordError(int count = 1)
    {
        CheckThread();
        _stats.RecordError(_ring, count, 0);
        GC.KeepAlive(this); // as in Update(double, ...)
    }

    /// <summary>
    /// Counts failed batches that happened at <paramref name="timestamp"/> (see
    /// <see cref="LockFreeBatchStats.RecordError(int, long)"/>): for a loop that stamps its samples itself, so that
    /// its errors are placed in the window's halves by the same clock.
    /// </summary>
    /// <param name="count">Number of errors; at least 1.</param>
    /// <param name="timestamp">When they happened, in the clock of caller-supplied sample timestamps; 0 = now.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="count"/> is below 1 or <paramref name="timestamp"/> is negative, and the policy is <see cref="InvalidSamplePolicy.Throw"/>.
    /// </exception>
    /// <exception cref="InvalidOperationException">Called from a thread other than the one that created this handle.</exception>
    public void RecordError(int count, long timestamp)
    {
        CheckThread();
        _stats.RecordError(_ring, count, timestamp);
        GC.KeepAlive(this); // as in Update(double, ...)
    }

    /// <summary>
    /// The out-of-line part of <see cref="Update(in BatchSample)"/>: the thread check again (the inline path also
    /// comes here for bad input, -0.0 and Timestamp 0), then the full record path.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void UpdateSlow(double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp)
    {
        CheckThread();
        _stats.RecordSlow(_ring, processingTime, batchSize, queueTime, latency, queueLength, timestamp);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void CheckThread()
    {
        if (ThreadToken.Peek != _token)
        {
            ThrowWrongThread();
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowWrongThread() =>
        throw new InvalidOperationException(
            "A BatchStatsWriter records only on the thread that created it; call CreateWriter on each worker thread. "
            + "Code that awaits between records may resume on another thread: record there with the tracker's own Update, which works on any thread.");
}
