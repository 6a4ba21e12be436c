using System;

namespace BatchStats.Fast;

/// <summary>
/// Records one sample per processed batch from any number of threads and reports rolling statistics.
/// </summary>
/// <remarks>
/// All members are safe to call concurrently from any thread. Times are in seconds everywhere.
/// </remarks>
public interface IBatchStats
{
    /// <summary>Records one batch, stamped with the current time.</summary>
    /// <param name="processingTime">Processing time in seconds; finite and non-negative.</param>
    /// <param name="batchSize">Items in the batch; non-negative.</param>
    /// <param name="queueTime">Queue time in seconds; finite and non-negative.</param>
    /// <param name="latency">End-to-end latency in seconds; finite and non-negative.</param>
    /// <param name="queueLength">Observed queue length; non-negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is invalid and the policy is <see cref="InvalidSamplePolicy.Throw"/>.</exception>
    void Update(double processingTime, int batchSize, double queueTime, double latency = 0, int queueLength = 0);

    /// <summary>Records one batch; a zero <see cref="BatchSample.Timestamp"/> is stamped with the current time.</summary>
    /// <param name="sample">The batch.</param>
    /// <exception cref="ArgumentOutOfRangeException">A field is invalid and the policy is <see cref="InvalidSamplePolicy.Throw"/>.</exception>
    void Update(in BatchSample sample);

    /// <summary>Records several batches at once; readers see all of them or none.</summary>
    /// <param name="samples">The batches, oldest first.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// A sample is invalid and the policy is <see cref="InvalidSamplePolicy.Throw"/>; then none is recorded.
    /// </exception>
    void UpdateMany(ReadOnlySpan<BatchSample> samples);

    /// <summary>Adds <paramref name="count"/> to the all-time error counter.</summary>
    /// <param name="count">Number of errors; at least 1.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="count"/> is below 1 and the policy is <see cref="InvalidSamplePolicy.Throw"/>.</exception>
    void RecordError(int count = 1);

    /// <summary>Returns the rolling statistics, possibly from a cache no older than the cache valid time.</summary>
    /// <returns>An immutable snapshot.</returns>
    BatchStatsSnapshot GetStats();
}
