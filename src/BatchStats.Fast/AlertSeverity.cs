namespace BatchStats.Fast;

/// <summary>How bad a threshold breach is.</summary>
public enum AlertSeverity
{
    /// <summary>The figure crossed its limit.</summary>
    Warning = 0,

    /// <summary>The figure crossed its limit by at least <see cref="AlertThresholds.CriticalFactor"/>.</summary>
    Critical = 1,
}
