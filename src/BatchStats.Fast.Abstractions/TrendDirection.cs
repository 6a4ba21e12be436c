namespace BatchStats.Fast;

/// <summary>Direction of a trend between the older and the newer half of the window.</summary>
public enum TrendDirection
{
    /// <summary>No change beyond the threshold, or too little data (fewer than 4 samples).</summary>
    Stable = 0,

    /// <summary>The newer half is better by more than the threshold.</summary>
    Improving = 1,

    /// <summary>The newer half is worse by more than the threshold.</summary>
    Degrading = 2,
}
