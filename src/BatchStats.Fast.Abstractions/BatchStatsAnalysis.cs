using System.Collections.Generic;
using System.Linq;

namespace BatchStats.Fast;

/// <summary>
/// The comprehensive analysis of the window (<c>GetComprehensiveStats</c>). Every score is documented with its
/// formula and range; trends compare the older half of the window (by timestamp) with the newer half.
/// </summary>
/// <remarks>Immutable; safe to share between threads.</remarks>
public sealed class BatchStatsAnalysis
{
    /// <summary>Relative change beyond which a trend is not <see cref="TrendDirection.Stable"/>: 10 %.</summary>
    public const double TrendThreshold = 0.10;

    /// <summary>
    /// Batches the window must hold for the trends to be judged: 4 (two per half). With fewer, every trend is
    /// <see cref="TrendDirection.Stable"/>.
    /// </summary>
    public const int MinTrendSamples = 4;

    /// <summary>Absolute error-rate change (errors per item) below which the error trend stays stable: 0.001.</summary>
    public const double ErrorTrendFloor = 0.001;

    /// <summary>The utilization that <see cref="RecommendedCapacity"/> aims for: 0.7.</summary>
    public const double TargetUtilization = 0.7;

    /// <summary>The plain figures the analysis was computed with.</summary>
    public BatchStatsSnapshot Snapshot { get; init; } = BatchStatsSnapshot.Empty;

    /// <summary>All-time number of batches (<c>total_batches</c>).</summary>
    public long TotalBatches => Snapshot.BatchCount;

    /// <summary>All-time items processed (<c>total_processed</c>).</summary>
    public long TotalProcessed => Snapshot.TotalProcessed;

    /// <summary>Window throughput, items per second of processing (<c>avg_throughput</c>).</summary>
    public double AvgThroughput => Snapshot.Throughput;

    /// <summary>Window p95 processing time, seconds (<c>p95_processing_time</c>).</summary>
    public double P95ProcessingTime => Snapshot.P95ProcessingTime;

    /// <summary>All-time errors per item (<c>error_rate</c>).</summary>
    public double ErrorRate => Snapshot.ErrorRate;

    /// <summary>
    /// Share of end-to-end time spent processing, in [0, 1] (<c>efficiency_score</c>): Σ processing / Σ end-to-end over
    /// the window, where a sample's end-to-end time is its latency when recorded (at least its processing time),
    /// else processing + queue time. 0 for an empty window or when every time is 0.
    /// </summary>
    public double EfficiencyScore { get; init; }

    /// <summary>
    /// 1 / (1 + coefficient of variation of processing time), in (0, 1] (<c>stability_index</c>): population standard
    /// deviation over mean; 1 when the mean is 0 or the window is empty.
    /// </summary>
    public double StabilityIndex { get; init; } = 1;

    /// <summary>Batch-size quartiles (<c>load_distribution</c>); all 0 for an empty window.</summary>
    public LoadDistribution LoadDistribution { get; init; }

    /// <summary>
    /// Mean processing time, newer half vs older half (<c>performance_trend</c>): more than
    /// <see cref="TrendThreshold"/> higher is degrading, more than that lower is improving. Stable while the window
    /// holds fewer than <see cref="MinTrendSamples"/> batches.
    /// </summary>
    public TrendDirection PerformanceTrend { get; init; }

    /// <summary>
    /// Throughput (Σ batch size / Σ processing time), newer half vs older half (<c>throughput_trend</c>): more than
    /// <see cref="TrendThreshold"/> higher is improving, more than that lower is degrading. Stable while the window
    /// holds fewer than <see cref="MinTrendSamples"/> batches.
    /// </summary>
    public TrendDirection ThroughputTrend { get; init; }

    /// <summary>
    /// Errors per item, newer half vs older half (<c>error_trend</c>), errors placed by their timestamps: degrading when
    /// the newer rate exceeds the older by more than <see cref="TrendThreshold"/> relative and
    /// <see cref="ErrorTrendFloor"/> absolute; improving in the mirror case. Stable while the window holds fewer than
    /// <see cref="MinTrendSamples"/> batches.
    /// </summary>
    public TrendDirection ErrorTrend { get; init; }

    /// <summary>
    /// Busy time over wall time of the window per active writer, in [0, 1] (<c>utilization</c>): Σ processing time /
    /// ((newest timestamp − (oldest timestamp − oldest processing time)) × writers with a sample in the window).
    /// </summary>
    public double Utilization { get; init; }

    /// <summary>
    /// Concurrent workers needed to serve the observed batch arrival rate at <see cref="TargetUtilization"/> (Little's
    /// law; <c>recommended_capacity</c>): ceil(λ · S / 0.7), λ = window batches per second of wall time,
    /// S = mean processing time. 0 when nothing was observed.
    /// </summary>
    public int RecommendedCapacity { get; init; }

    /// <summary>
    /// Named findings (<c>bottlenecks</c>): <c>queueing</c> (mean queue time above mean processing time),
    /// <c>processing_tail</c> (p99 above 3 × median processing time), <c>errors</c> (error rate above 1 %),
    /// <c>saturation</c> (utilization above 0.9). The error rate is all-time, so <c>errors</c> is judged even while the
    /// window is empty (errors recorded and no batch, or every batch aged out); the other three need a window.
    /// </summary>
    public IReadOnlyList<BatchStatsBottleneck> Bottlenecks { get; init; } = [];

    /// <summary>The figures under snake_case keys (trends as lowercase words, quartiles as a nested dictionary).</summary>
    /// <returns>A new dictionary.</returns>
    public IReadOnlyDictionary<string, object> ToDictionary() => new Dictionary<string, object>
    {
        ["total_batches"] = TotalBatches,
        ["total_processed"] = TotalProcessed,
        ["avg_throughput"] = AvgThroughput,
        ["p95_processing_time"] = P95ProcessingTime,
        ["error_rate"] = ErrorRate,
        ["efficiency_score"] = EfficiencyScore,
        ["stability_index"] = StabilityIndex,
        ["load_distribution"] = new Dictionary<string, double>
        {
            ["min"] = LoadDistribution.Min,
            ["q1"] = LoadDistribution.Q1,
            ["median"] = LoadDistribution.Median,
            ["q3"] = LoadDistribution.Q3,
            ["max"] = LoadDistribution.Max,
        },
        ["performance_trend"] = Word(PerformanceTrend),
        ["throughput_trend"] = Word(ThroughputTrend),
        ["error_trend"] = Word(ErrorTrend),
        ["utilization"] = Utilization,
        ["recommended_capacity"] = RecommendedCapacity,
        ["bottlenecks"] = Bottlenecks.Select(b => b.Name).ToArray(),
    };

    /// <summary>
    /// <see cref="ToDictionary"/> written as the Python module's dict prints: <c>{'total_batches': 40, …,
    /// 'load_distribution': {'min': 4.0, …}, 'performance_trend': 'stable', …, 'bottlenecks': ['queueing']}</c>
    /// (integers as Python ints, the other figures as Python floats as <c>repr</c> writes them).
    /// </summary>
    /// <returns>One line with every key and value.</returns>
    public override string ToString() => PythonLiteral.Of(ToDictionary());

    /// <summary>The lowercase word for a trend: <c>stable</c>, <c>improving</c> or <c>degrading</c>.</summary>
    /// <param name="trend">The trend.</param>
    /// <returns>The word.</returns>
    public static string Word(TrendDirection trend) => trend switch
    {
        TrendDirection.Improving => "improving",
        TrendDirection.Degrading => "degrading",
        _ => "stable",
    };
}
