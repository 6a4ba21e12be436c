namespace BatchStats.Fast;

/// <summary>Batch-size quartiles over the window (numpy percentile, linear method).</summary>
/// <param name="Min">Smallest batch size.</param>
/// <param name="Q1">25th percentile.</param>
/// <param name="Median">50th percentile.</param>
/// <param name="Q3">75th percentile.</param>
/// <param name="Max">Largest batch size.</param>
public readonly record struct LoadDistribution(double Min, double Q1, double Median, double Q3, double Max);
