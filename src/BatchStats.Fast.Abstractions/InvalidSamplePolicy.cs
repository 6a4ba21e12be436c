namespace BatchStats.Fast;

/// <summary>
/// What an <see cref="IBatchStats"/> does with bad input: NaN, infinite or negative times,
/// negative batch sizes or queue lengths, negative timestamps, or an error count below 1.
/// </summary>
public enum InvalidSamplePolicy
{
    /// <summary>
    /// Throw <see cref="System.ArgumentOutOfRangeException"/> naming the parameter; nothing from the
    /// call is recorded (<c>UpdateMany</c> is all-or-nothing). The default.
    /// </summary>
    Throw = 0,

    /// <summary>
    /// Never throw: drop each bad sample (or ignore the bad <c>RecordError</c> call), record the rest,
    /// and count what was dropped in <see cref="BatchStatsSnapshot.RejectedSamples"/>.
    /// For loops that must never throw.
    /// </summary>
    Drop = 1,
}
