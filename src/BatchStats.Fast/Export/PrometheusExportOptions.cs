using System.Collections.Generic;

namespace BatchStats.Fast;

/// <summary>Settings of the Prometheus exposition.</summary>
public sealed class PrometheusExportOptions
{
    /// <summary>Metric name prefix (snake_case, must match <c>[a-zA-Z_:][a-zA-Z0-9_:]*</c>). Default <c>batch</c>.</summary>
    public string Prefix { get; init; } = "batch";

    /// <summary>
    /// Labels added to every sample (e.g. <c>model</c>, <c>pool</c>). Values are escaped. Avoid <c>instance</c> and
    /// <c>job</c>: Prometheus sets those per target and renames clashing ones to <c>exported_instance</c>/<c>exported_job</c>.
    /// <c>le</c> and <c>quantile</c> are refused (the exposition writes them on buckets and quantiles), and so is
    /// <c>tracker</c> by the overloads that write several trackers (they label each one's series with it).
    /// </summary>
    public IReadOnlyDictionary<string, string> ConstantLabels { get; init; } = new Dictionary<string, string>();

    /// <summary>
    /// Upper bounds (seconds, ascending, at most 2^15 s = 32,768 s) of the classic histogram buckets; <c>+Inf</c> is
    /// added. Each is snapped to the nearest edge of the exponential buckets at or above it (edges are
    /// <c>2^((i + 1) / 2^scale)</c>), and the snapped value is what <c>le</c> shows, so trackers of different scales
    /// can snap one bound to different edges: to sum classic buckets across them, choose edges of the coarsest
    /// scale. Higher bounds are refused: the highest exponential bucket, which ends at 2^16 s, also counts every
    /// larger value. Default null: every power of two from 2^-14 s (about 61 µs) to 2^6 s (64 s), which are exact
    /// edges at every scale.
    /// </summary>
    public IReadOnlyList<double>? HistogramBuckets { get; init; }
}
