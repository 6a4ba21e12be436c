using System;
using System.Runtime.CompilerServices;
using System.Threading;
using BatchStats.Fast.Internal;

namespace BatchStats.Fast;

/// <summary>
/// A recording handle bound to one thread and one <see cref="LockFreeBatchStats"/>: it holds the thread's ring, so
/// a record is the validation and the ring store, without the per-thread ring lookup. Create it with
/// <see cref="LockFreeBatchStats.CreateWriter"/> on the worker thread that will use it.
/// </summary>
/// <remarks>
/// Internal (benchmarked, not shipped): the benchmark issue asked for it in the public API if it came within 1.5 × of
/// the physical floor. It measured no faster than the tracker's own <c>Update</c> (its thread check costs what the
/// per-thread ring lookup costs: one thread-local load and one compare), between 1.2 × and 2.2 × the floor across runs,
/// so it would add surface without adding speed. Kept so the benchmarks can keep measuring the question.
/// </remarks>
/// <remarks>
/// Every method checks that it runs on the creating thread (one compare against the current thread) and throws
/// <see cref="InvalidOperationException"/> otherwise, recording nothing: two threads writing one ring would break the
/// single-writer protocol. Semantics, validation and bad-input rules are exactly those of the tracker's own methods.
/// </remarks>
internal sealed class BatchStatsWriter
{
    private readonly LockFreeBatchStats _stats;
    private readonly WriterRing _ring;
    private readonly Thread _thread;

    internal BatchStatsWriter(LockFreeBatchStats stats, WriterRing ring)
    {
        _stats = stats;
        _ring = ring;
        _thread = Thread.CurrentThread;
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
    }

    /// <summary>Records one batch (see <see cref="LockFreeBatchStats.Update(in BatchSample)"/>).</summary>
    /// <param name="sample">The sample; Timestamp 0 = stamp now.</param>
    /// <exception cref="ArgumentOutOfRangeException">A field is invalid and the policy is <see cref="InvalidSamplePolicy.Throw"/>.</exception>
    /// <exception cref="InvalidOperationException">Called from a thread other than the one that created this handle.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Update(in BatchSample sample)
    {
        CheckThread();
        _stats.Record(_ring, sample.ProcessingTime, sample.BatchSize, sample.QueueTime, sample.Latency, sample.QueueLength, sample.Timestamp);
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
