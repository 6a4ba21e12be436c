namespace BatchStats.Fast.Internal;

/// <summary>One ring's all-time counters as read by a snapshot (or several rings' summed).</summary>
internal readonly record struct RingCounters(long BatchCount, long TotalProcessed, long Errors, long Rejected)
{
    public static RingCounters operator +(RingCounters a, RingCounters b) =>
        new(a.BatchCount + b.BatchCount, a.TotalProcessed + b.TotalProcessed, a.Errors + b.Errors, a.Rejected + b.Rejected);
}
