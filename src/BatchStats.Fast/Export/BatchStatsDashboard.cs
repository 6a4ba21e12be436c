using System;
using System.Collections.Generic;
using System.IO;

namespace BatchStats.Fast;

/// <summary>
/// The reference documentation's dashboard helpers: <see cref="GetDashboardData"/> and <see cref="ExportMetrics"/>
/// (<c>json</c> or <c>prometheus</c>).
/// </summary>
public sealed class BatchStatsDashboard
{
    private readonly IBatchStatsWithHistograms _stats;
    private readonly double _warningErrorRate;
    private readonly TimeProvider _time;
    private readonly PrometheusExportOptions? _prometheus;

    /// <summary>Creates a dashboard over <paramref name="stats"/>.</summary>
    /// <param name="stats">The tracker (e.g. a <see cref="LockFreeBatchStats"/>).</param>
    /// <param name="warningErrorRate">Error rate at or above which the status is <c>warning</c>; default 0.01, the Python module's (healthy below 0.01).</param>
    /// <param name="timeProvider">The clock for timestamps; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="prometheus">Options of the Prometheus export.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stats"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="warningErrorRate"/> is negative or NaN.</exception>
    public BatchStatsDashboard(IBatchStatsWithHistograms stats, double warningErrorRate = 0.01, TimeProvider? timeProvider = null, PrometheusExportOptions? prometheus = null)
    {
        ArgumentNullException.ThrowIfNull(stats);
        if (!(warningErrorRate >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(warningErrorRate), warningErrorRate, "The warning error rate must be a non-negative number.");
        }

        _stats = stats;
        _warningErrorRate = warningErrorRate;
        _time = timeProvider ?? TimeProvider.System;
        _prometheus = prometheus;
    }

    /// <summary>The current figures with a timestamp and a status.</summary>
    /// <returns>The dashboard data.</returns>
    public BatchStatsDashboardData GetDashboardData()
    {
        BatchStatsSnapshot s = _stats.GetStats();
        var metrics = new Dictionary<string, double>(s.ToDictionary()) { ["queue_length"] = s.AvgQueueLength }; // the Python module's key
        return new BatchStatsDashboardData(_time.GetUtcNow(), metrics, s.ErrorRate >= _warningErrorRate ? "warning" : "healthy");
    }

    /// <summary>The current figures in a text format.</summary>
    /// <param name="format"><c>json</c> (the dashboard data) or <c>prometheus</c> (text exposition 0.0.4); case-insensitive.</param>
    /// <returns>The text.</returns>
    /// <exception cref="ArgumentException"><paramref name="format"/> is neither.</exception>
    public string ExportMetrics(string format = "json")
    {
        if (string.Equals(format, "json", StringComparison.OrdinalIgnoreCase))
        {
            return BatchStatsJson.Serialize(GetDashboardData());
        }

        if (string.Equals(format, "prometheus", StringComparison.OrdinalIgnoreCase))
        {
            using var writer = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
            BatchStatsPrometheus.Write(writer, _stats, _prometheus);
            return writer.ToString();
        }

        throw new ArgumentException($"Unknown export format '{format}': use \"json\" or \"prometheus\".", nameof(format));
    }
}
