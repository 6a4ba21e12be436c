namespace BatchStats.Fast;

/// <summary>
/// An <see cref="IBatchStats"/> that also keeps all-time distributions: what the Prometheus exposition and the
/// dashboard need besides a snapshot (histogram buckets and the summaries' <c>_sum</c>/<c>_count</c>).
/// </summary>
/// <remarks>
/// The exporters take the narrowest interface that gives them their figures: <see cref="BatchStatsMonitor"/> and
/// <see cref="BatchStatsInstruments"/> read only snapshots and take an <see cref="IBatchStats"/>;
/// <see cref="BatchStatsPrometheus"/> and <see cref="BatchStatsDashboard"/> take this interface.
/// <see cref="LockFreeBatchStats"/> implements it.
/// </remarks>
public interface IBatchStatsWithHistograms : IBatchStats
{
    /// <summary>The all-time distributions of processing time, queue time and latency.</summary>
    /// <returns>An immutable snapshot; its counts never fall between calls.</returns>
    BatchStatsHistograms GetHistograms();
}
