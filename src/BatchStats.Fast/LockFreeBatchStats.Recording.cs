using System;
using System.Runtime.CompilerServices;
using BatchStats.Fast.Internal;

namespace BatchStats.Fast;

/// <content>The record paths: every write goes to the calling thread's own ring (see the type's remarks).</content>
public sealed partial class LockFreeBatchStats
{
    /// <inheritdoc />
    /// <remarks>Self-stamped; see the type's remarks for how stamps are taken. Lock-free, allocation-free.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Update(double processingTime, int batchSize, double queueTime, double latency = 0, int queueLength = 0) =>
        Record(CurrentRing(), processingTime, batchSize, queueTime, latency, queueLength);

    /// <inheritdoc />
    /// <remarks>With a non-zero <see cref="BatchSample.Timestamp"/> the clock is not read. Lock-free, allocation-free.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Update(in BatchSample sample) =>
        Record(RingRegistry.LastRing, sample.ProcessingTime, sample.BatchSize, sample.QueueTime, sample.Latency, sample.QueueLength, sample.Timestamp);

    /// <inheritdoc />
    /// <remarks>
    /// The lock-free counterpart of "hold the lock and append many": one publication makes the whole span visible
    /// at once. Samples with Timestamp 0 get consecutive self-stamps from one clock read. Lock-free, allocation-free.
    /// </remarks>
    public void UpdateMany(ReadOnlySpan<BatchSample> samples)
    {
        if (!samples.IsEmpty)
        {
            RecordMany(CurrentRing(), samples);
        }
    }

    /// <summary>
    /// The calling thread's recording handle for this tracker: the fastest way to record from a worker loop (no
    /// thread-local lookup per record). Take it once per worker thread; calling again on the same thread returns the
    /// same handle while it is reachable. Not for async methods that await between records (they may resume on
    /// another thread, where the handle throws): use <see cref="Update(in BatchSample)"/> there. Creating the handle
    /// writes the part of the thread's ring no record has reached (at most twice the window, rounded up to a power of
    /// two, × 40 bytes), so the OS commits that memory here and not in a page fault on every 102nd record of the
    /// loop's first lap; <see cref="Update(in BatchSample)"/> alone commits it page by page as records arrive.
    /// </summary>
    /// <returns>A handle that records into this thread's ring and throws if used from another thread.</returns>
    public BatchStatsWriter CreateWriter()
    {
        WriterRing ring = CurrentRing();
        BatchStatsWriter? writer = ring.Writer;
        if (writer is null)
        {
            writer = new BatchStatsWriter(this, ring);
            ring.SetWriter(writer);
            ring.CommitUnwrittenSlots(); // a worker's setup: its loop's first lap takes no page fault
        }

        return writer;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Record(WriterRing ring, double processingTime, int batchSize, double queueTime, double latency, int queueLength)
    {
        if (!SampleValidation.IsValid(processingTime, batchSize, queueTime, latency, queueLength, 0))
        {
            SampleValidation.Reject(_dropInvalid, ring, null, processingTime, batchSize, queueTime, latency, queueLength, 0);
            return;
        }

        ring.Write(processingTime, batchSize, queueTime, latency, queueLength, _clock.SelfStamp(ring));
    }

    /// <summary>The record path of <c>Update(in BatchSample)</c>, with the fields passed as values so the caller's struct can stay in registers.</summary>
    /// <remarks>
    /// <paramref name="ring"/> is the calling thread's ring for this tracker if the caller has it at hand (a per-thread
    /// cache, which may hold another tracker's ring, or null).
    /// The whole fast path is inline and makes no call: the ring check, one compare-and-branch per field, the store.
    /// Everything else (the thread's first record here, bad input, -0.0, Timestamp 0 = self-stamp) is one out-of-line
    /// call with nothing live after it, so a caller-stamped loop keeps its values in registers.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Record(WriterRing? ring, double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp)
    {
        if (ring is not null && ReferenceEquals(ring.Owner, this))
        {
            if (ring.TryWriteCallerStamped(processingTime, batchSize, queueTime, latency, queueLength, timestamp))
            {
                return;
            }
        }
        else
        {
            ring = null; // none cached, or another tracker's: the slow path looks up this thread's ring
        }

        RecordSlow(ring, processingTime, batchSize, queueTime, latency, queueLength, timestamp);
    }

    /// <summary>Everything the inline fast paths leave out; <paramref name="ring"/> is the calling thread's ring, or null to look it up.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void RecordSlow(WriterRing? ring, double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp)
    {
        ring ??= CurrentRing();
        if (!SampleValidation.IsValid(processingTime, batchSize, queueTime, latency, queueLength, timestamp))
        {
            SampleValidation.Reject(_dropInvalid, ring, SampleParameterName, processingTime, batchSize, queueTime, latency, queueLength, timestamp);
            return;
        }

        ring.Write(processingTime, batchSize, queueTime, latency, queueLength, timestamp != 0 ? timestamp : _clock.SelfStamp(ring));
    }

    internal void RecordMany(WriterRing ring, ReadOnlySpan<BatchSample> samples)
    {
        int invalid = 0;
        bool needsStamp = false;
        for (int i = 0; i < samples.Length; i++)
        {
            ref readonly BatchSample s = ref samples[i];
            needsStamp |= s.Timestamp == 0;
            if (!SampleValidation.IsValid(s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength, s.Timestamp))
            {
                if (!_dropInvalid)
                {
                    SampleValidation.ThrowInvalid($"{nameof(samples)}[{i}].", s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength, s.Timestamp, nameof(samples));
                }

                invalid++;
            }
        }

        int count = samples.Length - invalid;
        if (count > 0)
        {
            ring.WriteMany(samples, skipInvalid: invalid > 0, count, needsStamp ? _clock.SelfStampSlow(ring) : 0);
        }

        if (invalid > 0)
        {
            ring.AddRejected(invalid);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Lock-free, allocation-free: adds to the calling thread's own counter and places the errors in time (stamped like
    /// a self-stamped sample) so <see cref="GetComprehensiveStats"/> can split them between the window's halves.
    /// </remarks>
    public void RecordError(int count = 1) => RecordError(count, 0);

    /// <summary>Adds <paramref name="count"/> errors that happened at <paramref name="timestamp"/> (Stopwatch ticks).</summary>
    /// <param name="count">Number of errors; at least 1.</param>
    /// <param name="timestamp">When they happened, in the clock of caller-supplied sample timestamps; 0 = now.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="count"/> is below 1 or <paramref name="timestamp"/> is negative, and the policy is <see cref="InvalidSamplePolicy.Throw"/>.
    /// </exception>
    public void RecordError(int count, long timestamp) => RecordError(CurrentRing(), count, timestamp);

    internal void RecordError(WriterRing ring, int count, long timestamp)
    {
        if (timestamp < 0)
        {
            if (!_dropInvalid)
            {
                ThrowHelper.ArgumentOutOfRange(nameof(timestamp), timestamp, "Timestamp must be Stopwatch ticks (positive), or 0 for now.");
            }

            ring.AddRejected(1);
            return;
        }

        if (count < 1)
        {
            if (!_dropInvalid)
            {
                ThrowHelper.ArgumentOutOfRange(nameof(count), count, "The error count must be at least 1.");
            }

            ring.AddRejected(1);
            return;
        }

        ring.AddErrors(count, timestamp != 0 ? timestamp : _clock.SelfStamp(ring));
    }
}
