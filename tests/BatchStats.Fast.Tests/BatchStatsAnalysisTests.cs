using System;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="LockFreeBatchStats.GetComprehensiveStats"/> in scenarios: trends of rising, falling and steady histories,
/// bottlenecks, the scores' formulas and ranges, and the Python dict it prints as.
/// </summary>
public sealed class BatchStatsAnalysisTests
{
    private const long Ms = 1000; // ManualTimeProvider ticks are microseconds

    private static LockFreeBatchStats Create(int window = 1000) =>
        new(new BatchStatsOptions { WindowSize = window, CacheValidTime = TimeSpan.Zero, TimeProvider = new ManualTimeProvider() });

    /// <summary>n samples 2 ms apart; processing time, batch size and queue time from the index.</summary>
    private static void Feed(LockFreeBatchStats stats, int n, Func<int, double> processing, Func<int, int>? batch = null, Func<int, double>? queue = null)
    {
        for (int i = 0; i < n; i++)
        {
            stats.Update(new BatchSample(processing(i), batch?.Invoke(i) ?? 8, queue?.Invoke(i) ?? 0.0005, 0, 2, Timestamp: 1_000_000 + (i * 2 * Ms)));
        }
    }

    [Fact]
    public void ToString_PrintsAsThePythonDict()
    {
        var a = new BatchStatsAnalysis
        {
            Snapshot = new BatchStatsSnapshot { BatchCount = 40, TotalProcessed = 220, Throughput = 312.5, P95ProcessingTime = 0.03125, ErrorRate = 0.0125 },
            EfficiencyScore = 0.5,
            LoadDistribution = new LoadDistribution(4, 4.75, 5.5, 6.25, 7),
            PerformanceTrend = TrendDirection.Degrading,
            ThroughputTrend = TrendDirection.Improving,
            Utilization = 0.25,
            RecommendedCapacity = 3,
            Bottlenecks = [new BatchStatsBottleneck("queueing", 2, 1, "m"), new BatchStatsBottleneck("errors", 0.02, 0.01, "m")],
        };
        Assert.Equal(
            "{'total_batches': 40, 'total_processed': 220, 'avg_throughput': 312.5, 'p95_processing_time': 0.03125, 'error_rate': 0.0125, " +
            "'efficiency_score': 0.5, 'stability_index': 1.0, 'load_distribution': {'min': 4.0, 'q1': 4.75, 'median': 5.5, 'q3': 6.25, 'max': 7.0}, " +
            "'performance_trend': 'degrading', 'throughput_trend': 'improving', 'error_trend': 'stable', 'utilization': 0.25, " +
            "'recommended_capacity': 3, 'bottlenecks': ['queueing', 'errors']}",
            a.ToString());
        Assert.EndsWith("'bottlenecks': []}", new BatchStatsAnalysis().ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void RisingProcessingTimes_PerformanceAndThroughputDegrading()
    {
        LockFreeBatchStats stats = Create();
        Feed(stats, 400, i => 0.001 + (i * 0.00001));
        BatchStatsAnalysis a = stats.GetComprehensiveStats();
        Assert.Equal(TrendDirection.Degrading, a.PerformanceTrend);
        Assert.Equal(TrendDirection.Degrading, a.ThroughputTrend);
        Assert.Equal(TrendDirection.Stable, a.ErrorTrend);
    }

    [Fact]
    public void FallingProcessingTimes_PerformanceAndThroughputImproving()
    {
        LockFreeBatchStats stats = Create();
        Feed(stats, 400, i => 0.005 - (i * 0.00001));
        BatchStatsAnalysis a = stats.GetComprehensiveStats();
        Assert.Equal(TrendDirection.Improving, a.PerformanceTrend);
        Assert.Equal(TrendDirection.Improving, a.ThroughputTrend);
    }

    [Fact]
    public void ThroughputDropWithSteadyProcessing_OnlyThroughputDegrading()
    {
        LockFreeBatchStats stats = Create();
        Feed(stats, 400, _ => 0.001, batch: i => i < 200 ? 32 : 8);
        BatchStatsAnalysis a = stats.GetComprehensiveStats();
        Assert.Equal(TrendDirection.Stable, a.PerformanceTrend);
        Assert.Equal(TrendDirection.Degrading, a.ThroughputTrend);
    }

    [Fact]
    public void ErrorBurstInNewerHalf_ErrorTrendDegrading_AndInOlderHalfImproving()
    {
        LockFreeBatchStats newerBurst = Create(), olderBurst = Create();
        Feed(newerBurst, 400, _ => 0.001);
        Feed(olderBurst, 400, _ => 0.001);
        for (int i = 0; i < 20; i++)
        {
            newerBurst.RecordError(1, 1_000_000 + ((300 + i) * 2 * Ms)); // inside the newer half
            olderBurst.RecordError(1, 1_000_000 + ((50 + i) * 2 * Ms)); // inside the older half
        }

        Assert.Equal(TrendDirection.Degrading, newerBurst.GetComprehensiveStats().ErrorTrend);
        Assert.Equal(TrendDirection.Improving, olderBurst.GetComprehensiveStats().ErrorTrend);
    }

    [Fact]
    public void SteadyState_EverythingStable_NoBottleneck()
    {
        LockFreeBatchStats stats = Create();
        var rng = new Random(4);
        Feed(stats, 400, _ => 0.001 * (1 + (0.01 * rng.NextDouble())));
        for (int i = 0; i < 400; i += 100)
        {
            stats.RecordError(1, 1_000_000 + (i * 2 * Ms)); // evenly spread
        }

        BatchStatsAnalysis a = stats.GetComprehensiveStats();
        Assert.Equal(TrendDirection.Stable, a.PerformanceTrend);
        Assert.Equal(TrendDirection.Stable, a.ThroughputTrend);
        Assert.Equal(TrendDirection.Stable, a.ErrorTrend);
        Assert.Empty(a.Bottlenecks);
        Assert.InRange(a.StabilityIndex, 0.99, 1.0);
        Assert.InRange(a.Utilization, 0.45, 0.55); // 1 ms busy every 2 ms
        Assert.Equal(1, a.RecommendedCapacity); // 500 batches/s × 1 ms / 0.7 → 0.71 → 1 worker
        Assert.Equal(400, a.TotalBatches);
        Assert.Equal(400 * 8, a.TotalProcessed);
    }

    [Fact]
    public void Figures_MatchTheirFormulas()
    {
        LockFreeBatchStats stats = Create();
        Feed(stats, 100, i => 0.010, batch: i => (i % 4) + 1, queue: _ => 0.030);
        BatchStatsAnalysis a = stats.GetComprehensiveStats();
        Assert.Equal(0.25, a.EfficiencyScore, 12); // latency not recorded: 10 ms / (10 + 30) ms
        Assert.Equal(1.0, a.StabilityIndex, 12);
        Assert.Equal(new LoadDistribution(1, 1.75, 2.5, 3.25, 4), a.LoadDistribution); // numpy quartiles of 1,2,3,4 repeated
        Assert.Equal(1.0, a.Utilization); // 10 ms busy every 2 ms: saturated
        Assert.Equal(7, a.RecommendedCapacity); // wall = 99 × 2 ms + 10 ms; λ = 100 / 0.208 s = 480.8/s; 480.8 × 0.01 / 0.7 = 6.87 → 7
        Assert.Contains(a.Bottlenecks, b => b.Name == "queueing");
        Assert.Contains(a.Bottlenecks, b => b.Name == "saturation");
        Assert.Equal(a.Snapshot.Throughput, a.AvgThroughput);
        Assert.Equal("stable", a.ToDictionary()["performance_trend"]);
    }

    [Fact]
    public void TailAndErrors_AreNamedBottlenecks()
    {
        LockFreeBatchStats stats = Create();
        Feed(stats, 200, i => i % 50 == 0 ? 0.1 : 0.001);
        stats.RecordError(100);
        BatchStatsAnalysis a = stats.GetComprehensiveStats();
        Assert.Contains(a.Bottlenecks, b => b.Name == "processing_tail" && b.Value == a.Snapshot.P99ProcessingTime);
        Assert.Contains(a.Bottlenecks, b => b.Name == "errors");
    }

    [Fact]
    public void EmptyAndSingleSample_HaveDefinedScores()
    {
        LockFreeBatchStats stats = Create();
        BatchStatsAnalysis empty = stats.GetComprehensiveStats();
        Assert.Equal(0, empty.EfficiencyScore);
        Assert.Equal(1, empty.StabilityIndex);
        Assert.Equal(0, empty.Utilization);
        Assert.Equal(0, empty.RecommendedCapacity);
        Assert.Equal(TrendDirection.Stable, empty.PerformanceTrend);
        stats.Update(new BatchSample(0.002, 4, 0.001, 0.004, 1, 5_000_000));
        BatchStatsAnalysis one = stats.GetComprehensiveStats();
        Assert.Equal(0.5, one.EfficiencyScore);
        Assert.Equal(1, one.StabilityIndex);
        Assert.Equal(1, one.Utilization);
        Assert.Equal(new LoadDistribution(4, 4, 4, 4, 4), one.LoadDistribution);
    }

    /// <summary>
    /// Any finite times, up to double.MaxValue: the windows' sums and squares then overflow, but the scores are ratios and
    /// stay in their ranges (no NaN), the trends compare finite figures, and the capacity is not negative.
    /// </summary>
    [Property(MaxTest = 300)]
    public Property AnyFiniteTimes_ScoresStayInTheirRanges() =>
        Prop.ForAll(
            (from pt in AnyTime
             from qt in AnyTime
             from lat in Gen.OneOf(Gen.Constant(0.0), AnyTime)
             from bs in Gen.Choose(0, 64)
             from gap in Gen.Choose(0, 5000)
             select (pt, qt, lat, bs, gap)).ArrayOf().ToArbitrary(),
            samples =>
            {
                LockFreeBatchStats stats = Create(window: 50);
                long t = 1_000_000;
                foreach (var (pt, qt, lat, bs, gap) in samples)
                {
                    t += gap;
                    stats.Update(new BatchSample(pt, bs, qt, lat, 0, t));
                }

                BatchStatsAnalysis a = stats.GetComprehensiveStats();
                return (a.EfficiencyScore is >= 0 and <= 1).Label($"efficiency {a.EfficiencyScore}")
                    .And((a.StabilityIndex is > 0 and <= 1).Label($"stability {a.StabilityIndex}"))
                    .And((a.Utilization is >= 0 and <= 1).Label($"utilization {a.Utilization}"))
                    .And((a.RecommendedCapacity >= 0).Label($"capacity {a.RecommendedCapacity}"));
            });

    /// <summary>
    /// The scores are ratios, so times 2^1022 times larger give the same efficiency, stability and trends (they are
    /// taken on the times scaled back by a power of two; before, the sums overflowed and the ratios read NaN, and two
    /// equal halves of infinite mean read as an improving performance).
    /// </summary>
    [Fact]
    public void HugeTimes_ScoresAsForTheSameTimesScaledDown()
    {
        double[] processing = [0.25, 0.5, 0.125, 0.75, 0.5, 1.5, 0.25, 2.0];
        BatchStatsAnalysis Analyse(double factor)
        {
            LockFreeBatchStats stats = Create(window: 50);
            for (int i = 0; i < processing.Length; i++)
            {
                stats.Update(new BatchSample(processing[i] * factor, 10, 0.5 * processing[i] * factor, i % 2 == 0 ? 0 : 1.5 * processing[i] * factor, 0, 1_000_000 + i));
            }

            return stats.GetComprehensiveStats();
        }

        BatchStatsAnalysis small = Analyse(1), huge = Analyse(Math.ScaleB(1.0, 1022)); // the longest time, 2^1023 s, is finite; their sum is not
        Assert.True(double.IsInfinity(huge.Snapshot.AvgProcessingTime)); // the snapshot's sum overflows, as documented
        Assert.Equal(small.EfficiencyScore, huge.EfficiencyScore);
        Assert.Equal(small.StabilityIndex, huge.StabilityIndex, 12);
        Assert.Equal((small.PerformanceTrend, small.ThroughputTrend), (huge.PerformanceTrend, huge.ThroughputTrend));
        Assert.Equal(TrendDirection.Degrading, huge.PerformanceTrend); // means 0.40625 s older, 1.0625 s newer, times 2^1022
        Assert.Equal(1, huge.Utilization); // busy 5.875 × 2^1022 s within a wall of about the oldest batch's 2^1020 s
        Assert.InRange(huge.RecommendedCapacity, 0, int.MaxValue);

        // The scale follows the longest time of any series: a huge latency or queue time with ordinary processing times
        // still gives the ratio (2^100 s of processing in 1.5 × 2^1023 s end to end), not 0 from an overflowed sum.
        foreach (bool inLatency in new[] { true, false })
        {
            LockFreeBatchStats stats = Create(window: 50);
            double longTime = 1.5 * Math.ScaleB(1.0, 1023);
            for (int i = 0; i < 8; i++)
            {
                stats.Update(new BatchSample(Math.ScaleB(1.0, 100), 10, inLatency ? 0 : longTime, inLatency ? longTime : 0, 0, 1_000_000 + i));
            }

            Assert.Equal(Math.ScaleB(1.0, -923) / 1.5, stats.GetComprehensiveStats().EfficiencyScore, Math.ScaleB(1.0, -970));
        }

        // Whether a latency was recorded is asked of the time as recorded: 2^-79 s scaled by 2^-1000 rounds to 0, but the
        // sample still counts its latency (2^-79 s) as its end-to-end time, not processing + queue (2^1000 s).
        LockFreeBatchStats tiny = Create(window: 50);
        tiny.Update(new BatchSample(Math.ScaleB(1.0, -80), 1, Math.ScaleB(1.0, 1000), Math.ScaleB(1.0, -79), 0, 1_000_000));
        tiny.Update(new BatchSample(Math.ScaleB(1.0, 1000), 1, 0, 0, 0, 1_000_001));
        Assert.Equal(1.0, tiny.GetComprehensiveStats().EfficiencyScore); // 0.5 if the queue time counted

        BatchStatsAnalysis flat = AnalyseFlat(double.MaxValue); // two equal halves of infinite mean: stable, not improving
        Assert.Equal((TrendDirection.Stable, TrendDirection.Stable), (flat.PerformanceTrend, flat.ThroughputTrend));
        Assert.Equal((1.0, 1.0), (flat.EfficiencyScore, flat.StabilityIndex));

        BatchStatsAnalysis AnalyseFlat(double time)
        {
            LockFreeBatchStats stats = Create(window: 50);
            for (int i = 0; i < 8; i++)
            {
                stats.Update(new BatchSample(time, 10, 0, 0, 0, 1_000_000 + i));
            }

            return stats.GetComprehensiveStats();
        }
    }

    /// <summary>Any finite non-negative double, from the subnormals to double.MaxValue, zeros included.</summary>
    private static Gen<double> AnyTime =>
        Gen.OneOf(
            Gen.Constant(0.0),
            Gen.Constant(double.MaxValue),
            from e in Gen.Choose(-1074, 1023)
            from m in Gen.Choose(1, 1 << 20)
            select Math.ScaleB(m, e - 20) into v
            where double.IsFinite(v)
            select v);

    [Property(MaxTest = 150)]
    public Property AnyHistory_ScoresStayInTheirRanges() =>
        Prop.ForAll(
            (from pt in Gen.Choose(0, 100_000).Select(i => i / 1e5)
             from qt in Gen.Choose(0, 100_000).Select(i => i / 1e5)
             from lat in Gen.Choose(0, 200_000).Select(i => i / 1e5)
             from bs in Gen.Choose(0, 64)
             from gap in Gen.Choose(0, 5000)
             select (pt, qt, lat, bs, gap)).ArrayOf().ToArbitrary(),
            Gen.Choose(0, 20).ArrayOf().ToArbitrary(),
            (samples, errors) =>
            {
                LockFreeBatchStats stats = Create(window: 50);
                long t = 1_000_000;
                foreach (var (pt, qt, lat, bs, gap) in samples)
                {
                    t += gap;
                    stats.Update(new BatchSample(pt, bs, qt, lat, 0, t));
                }

                foreach (int e in errors.Where(e => e > 0))
                {
                    stats.RecordError(e, 1_000_000 + (e * 100));
                }

                BatchStatsAnalysis a = stats.GetComprehensiveStats();
                LoadDistribution d = a.LoadDistribution;
                return a.EfficiencyScore is >= 0 and <= 1
                    && a.StabilityIndex is > 0 and <= 1
                    && a.Utilization is >= 0 and <= 1
                    && a.RecommendedCapacity >= 0
                    && d.Min <= d.Q1 && d.Q1 <= d.Median && d.Median <= d.Q3 && d.Q3 <= d.Max
                    && Enum.IsDefined(a.PerformanceTrend) && Enum.IsDefined(a.ThroughputTrend) && Enum.IsDefined(a.ErrorTrend)
                    && a.TotalBatches == samples.Length;
            });
}
