using System;
using System.Threading;

namespace BatchStats.Fast.Tests;

/// <summary>A tracker that serves a snapshot the test sets (or throws <see cref="Failure"/>), and counts its reads; it records nothing.</summary>
internal sealed class FixedStats : IBatchStats
{
    public BatchStatsSnapshot Snapshot { get; set; } = new();

    public Exception? Failure { get; set; }

    public void Update(double processingTime, int batchSize, double queueTime, double latency = 0, int queueLength = 0) => throw new NotSupportedException();

    public void Update(in BatchSample sample) => throw new NotSupportedException();

    public void UpdateMany(ReadOnlySpan<BatchSample> samples) => throw new NotSupportedException();

    public void RecordError(int count = 1) => throw new NotSupportedException();

    public int Reads => Volatile.Read(ref _reads);

    private int _reads;

    public BatchStatsSnapshot GetStats()
    {
        Interlocked.Increment(ref _reads);
        return Failure is null ? Snapshot : throw Failure;
    }
}
