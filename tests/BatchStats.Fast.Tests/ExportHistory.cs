namespace BatchStats.Fast.Tests;

/// <summary>The fixed history the exporter tests share.</summary>
internal static class ExportHistory
{
    /// <summary>A fixed history: 40 caller-stamped samples, 3 errors; exact binary fractions keep the text stable.</summary>
    public static LockFreeBatchStats FixedHistory()
    {
        var stats = new LockFreeBatchStats(32, 0);
        for (int i = 0; i < 40; i++)
        {
            double pt = (1 + (i % 8)) / 256.0; // 3.9 ms .. 31.25 ms
            stats.Update(new BatchSample(pt, 4 + (i % 4), pt / 4, pt * 2, i % 5, Timestamp: 1000 + i));
        }

        stats.RecordError(3, 1020);
        return stats;
    }
}

/// <summary>
/// A tracker of the user's own type: delegates to a <see cref="LockFreeBatchStats"/> and counts the calls, so a test can
/// tell that an exporter took its figures through the interface and not from the core type.
/// </summary>
internal sealed class ForwardingStats(LockFreeBatchStats inner) : IBatchStatsWithHistograms
{
    public int SnapshotCalls { get; private set; }

    public int HistogramCalls { get; private set; }

    public void Update(double processingTime, int batchSize, double queueTime, double latency = 0, int queueLength = 0) =>
        inner.Update(processingTime, batchSize, queueTime, latency, queueLength);

    public void Update(in BatchSample sample) => inner.Update(sample);

    public void UpdateMany(System.ReadOnlySpan<BatchSample> samples) => inner.UpdateMany(samples);

    public void RecordError(int count = 1) => inner.RecordError(count);

    public BatchStatsSnapshot GetStats()
    {
        SnapshotCalls++;
        return inner.GetStats();
    }

    public BatchStatsHistograms GetHistograms()
    {
        HistogramCalls++;
        return inner.GetHistograms();
    }
}
