using System.Collections.Generic;

namespace BatchStats.Fast.Hosting;

/// <summary>The names registered with <c>AddBatchStats</c>, in order (a singleton).</summary>
internal sealed class BatchStatsTrackerNames : List<string>
{
    /// <summary>The name of the meters the trackers' instruments are created on (each tagged with its tracker).</summary>
    public const string MeterName = "BatchStats.Fast";
}
