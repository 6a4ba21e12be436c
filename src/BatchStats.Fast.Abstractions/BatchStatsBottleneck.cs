namespace BatchStats.Fast;

/// <summary>A named finding of <see cref="BatchStatsAnalysis.Bottlenecks"/>.</summary>
/// <param name="Name">One of <c>queueing</c>, <c>processing_tail</c>, <c>errors</c>, <c>saturation</c>.</param>
/// <param name="Value">The figure that crossed the threshold.</param>
/// <param name="Threshold">The threshold it crossed.</param>
/// <param name="Message">A sentence for humans.</param>
public sealed record BatchStatsBottleneck(string Name, double Value, double Threshold, string Message);
