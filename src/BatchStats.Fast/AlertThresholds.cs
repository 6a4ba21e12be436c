namespace BatchStats.Fast;

/// <summary>
/// The limits a <see cref="BatchStatsMonitor"/> checks (the reference alerting recipe's four checks plus p99
/// latency). A null limit is not checked; a limit that is set is a finite number, at least 0 (the monitor refuses
/// others with an <see cref="System.ArgumentOutOfRangeException"/> naming the property).
/// </summary>
public sealed class AlertThresholds
{
    /// <summary>Warn when the window's p95 processing time (seconds) is above this. Check name <c>processing_time</c>.</summary>
    public double? MaxProcessingTime { get; set; }

    /// <summary>
    /// Warn when the window's throughput (items per second) is below this; not checked while the window is empty.
    /// Check name <c>throughput</c>.
    /// </summary>
    public double? MinThroughput { get; set; }

    /// <summary>Warn when the error rate (errors per item) is above this. Check name <c>error_rate</c>.</summary>
    public double? MaxErrorRate { get; set; }

    /// <summary>Warn when the window's largest observed queue length is above this. Check name <c>queue_length</c>.</summary>
    public int? MaxQueueLength { get; set; }

    /// <summary>Warn when the window's p99 latency (seconds) is above this. Check name <c>p99_latency</c>.</summary>
    public double? MaxP99Latency { get; set; }

    /// <summary>
    /// Warn when the window's <b>mean</b> processing time (seconds) is above this, as the Python module's recipe
    /// judged it. Check name <c>avg_processing_time</c>. Not set by default: the p95 (<see cref="MaxProcessingTime"/>)
    /// sees a slow tail that a mean hides.
    /// </summary>
    public double? MaxAvgProcessingTime { get; set; }

    /// <summary>
    /// Warn when the window's <b>mean</b> queue length is above this, as the Python module's recipe judged it. Check
    /// name <c>avg_queue_length</c>. Not set by default: the maximum (<see cref="MaxQueueLength"/>) catches a backlog sooner.
    /// </summary>
    public double? MaxAvgQueueLength { get; set; }

    /// <summary>
    /// A breach is <see cref="AlertSeverity.Critical"/> when the figure is beyond the limit by this factor (above
    /// limit × factor, or below limit ÷ factor for <see cref="MinThroughput"/>). Default 2; at least 1.
    /// </summary>
    public double CriticalFactor { get; set; } = 2.0;
}
