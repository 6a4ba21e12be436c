namespace BatchStats.Fast;

/// <summary>One raised (or cleared) alert.</summary>
/// <param name="Name">The check: <c>processing_time</c>, <c>throughput</c>, <c>error_rate</c>, <c>queue_length</c>,
/// <c>p99_latency</c>, <c>avg_processing_time</c> or <c>avg_queue_length</c>.</param>
/// <param name="Severity">Warning or critical.</param>
/// <param name="Value">The figure when the alert was raised or cleared; in <see cref="BatchStatsMonitor.ActiveAlerts"/>, at the last check.</param>
/// <param name="Threshold">The limit it was compared with.</param>
/// <param name="Message">A sentence with the figure and the limit.</param>
/// <param name="Time">When the check that raised it (or cleared it) ran; an active alert keeps its raise time.</param>
public sealed record BatchStatsAlert(string Name, AlertSeverity Severity, double Value, double Threshold, string Message, System.DateTimeOffset Time);
