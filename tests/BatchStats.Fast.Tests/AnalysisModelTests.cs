using System;
using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="LockFreeBatchStats.GetComprehensiveStats"/> against a plain model on random histories from up to three
/// writer threads: caller stamps drawn from a narrow range (so stamps tie within a ring and across rings, and go
/// backwards), errors with stamps of their own, and windows that hold the whole history or cut it. Every analysis
/// figure is computed from the guide's definitions:
/// <list type="bullet">
/// <item>the window is the <c>WindowSize</c> greatest (timestamp, ring, record) keys among each ring's last
/// <c>WindowSize</c> records, gathered ring by ring in record order;</item>
/// <item>trends: sort the window by (timestamp, gather position), the first ⌊n/2⌋ are the older half; errors count
/// from the window's oldest stamp on (all of them while the window holds every sample), before the split stamp in the
/// older half; the halves' mean processing time, Σ batch size / Σ processing time and errors per item compared by
/// 10 % (and 0.001 absolute for errors);</item>
/// <item>efficiency, stability, batch-size quartiles (numpy), utilization, recommended capacity (Little's law at 70 %)
/// and the four bottleneck rules;</item>
/// <item><see cref="LockFreeBatchStats.CopyRecentSamples"/>: the window by (timestamp, gather position), newest last,
/// and its newest part when the destination is shorter.</item>
/// </list>
/// Sums the implementation takes in another order are compared within 1e-9 relative, and a rule whose model value
/// lies within that of its threshold is not judged.
/// </summary>
public sealed class AnalysisModelTests
{
    public sealed record Sample(double Processing, int BatchSize, double Queue, double Latency, long Stamp);

    public sealed record ErrorEvent(int Count, long Stamp);

    /// <summary>The window size, each writer's samples in record order (writers register in this order), and the first writer's errors.</summary>
    public sealed record History(int Window, Sample[][] Writers, ErrorEvent[] Errors)
    {
        public override string ToString() =>
            $"window {Window}: " + string.Join(" | ", Writers.Select((w, i) => $"writer {i}: " + string.Join(", ", w.Select(s => $"({s.Processing}, {s.BatchSize}, {s.Queue}, {s.Latency}, t{s.Stamp})"))))
            + " | errors: " + string.Join(", ", Errors.Select(e => $"{e.Count}@t{e.Stamp}"));
    }

    private const long Base = 1_000_000;
    private const double TicksPerSecond = 1_000_000; // ManualTimeProvider's
    private const double Tolerance = 1e-9;

    private static Gen<long> Stamp => Gen.Choose(0, 40).Select(i => Base + (i * 1000L));

    private static Gen<double> Seconds => Gen.OneOf(Gen.Choose(0, 1000).Select(i => i / 1000.0), Gen.Choose(0, 4).Select(i => i * 0.125));

    private static Gen<Sample> Samples =>
        from processing in Seconds
        from batch in Gen.OneOf(Gen.Choose(0, 64), Gen.Constant(10))
        from queue in Seconds
        from latency in Gen.OneOf(Gen.Constant(0.0), Seconds)
        from stamp in Stamp
        select new Sample(processing, batch, queue, latency, stamp);

    public static Arbitrary<History> Histories() =>
        (from window in Gen.OneOf(Gen.Choose(1, 16), Gen.Constant(128))
         from writers in Gen.Choose(1, 3)
         from samples in Samples.ArrayOf().Select(a => a.Take(40).ToArray()).ArrayOf(writers)
         from errors in (from c in Gen.Choose(1, 5) from t in Stamp select new ErrorEvent(c, t)).ArrayOf().Select(a => a.Take(20).ToArray())
         select new History(window, samples, errors)).ToArbitrary();

    [Property(MaxTest = 500, Arbitrary = [typeof(AnalysisModelTests)])]
    public Property Analysis_MatchesTheModel(History history)
    {
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = history.Window, CacheValidTime = TimeSpan.Zero, TimeProvider = new ManualTimeProvider() });
        (BatchStatsAnalysis a, BatchSample[] copied, BatchSample[] newest) = RecordAndAnalyse(stats, history);
        Expected e = Model(history);
        static string Samples(IEnumerable<Sample> samples) => string.Join(" ", samples.Select(s => $"{s.Processing}/{s.BatchSize}/{s.Queue}/{s.Latency}@t{s.Stamp}"));
        string gotCopy = Samples(copied.Select(c => new Sample(c.ProcessingTime, c.BatchSize, c.QueueTime, c.Latency, c.Timestamp)));
        string gotNewest = Samples(newest.Select(c => new Sample(c.ProcessingTime, c.BatchSize, c.QueueTime, c.Latency, c.Timestamp)));
        string wantCopy = Samples(e.ByTime), wantNewest = Samples(e.ByTime.TakeLast(newest.Length));
        string[] names = [.. a.Bottlenecks.Select(b => b.Name)];
        bool capacity = e.Capacity is double c && Math.Abs(c - Math.Round(c)) <= Tolerance * Math.Max(1, c)
            ? a.RecommendedCapacity - Math.Round(c) is 0 or 1 // at an integer k (1398.9999999999998 is 1399): the ceiling is k or k + 1
            : a.RecommendedCapacity == (int)Math.Min(int.MaxValue, Math.Ceiling(e.Capacity ?? 0));
        return (a.PerformanceTrend == e.Performance).Label($"performance {a.PerformanceTrend}, model {e.Performance}")
            .And((a.ThroughputTrend == e.Throughput).Label($"throughput {a.ThroughputTrend}, model {e.Throughput}"))
            .And((a.ErrorTrend == e.Errors).Label($"errors {a.ErrorTrend}, model {e.Errors}"))
            .And(Close(a.EfficiencyScore, e.Efficiency).Label($"efficiency {a.EfficiencyScore}, model {e.Efficiency}"))
            .And(Close(a.StabilityIndex, e.Stability).Label($"stability {a.StabilityIndex}, model {e.Stability}"))
            .And(Close(a.Utilization, e.Utilization).Label($"utilization {a.Utilization}, model {e.Utilization}"))
            .And((a.LoadDistribution == e.Load).Label($"load {a.LoadDistribution}, model {e.Load}"))
            .And(capacity.Label($"capacity {a.RecommendedCapacity}, model {e.Capacity}"))
            .And(e.Bottlenecks.All(b => b.Value is null || names.Contains(b.Name) == b.Value)
                .Label($"bottlenecks [{string.Join(", ", names)}], model [{string.Join(", ", e.Bottlenecks.Where(b => b.Value == true).Select(b => b.Name))}]"))
            .And((a.TotalBatches == history.Writers.Sum(w => w.Length)).Label("total batches"))
            .And((gotCopy == wantCopy).Label($"copied [{gotCopy}], model [{wantCopy}]"))
            .And((gotNewest == wantNewest).Label($"newest [{gotNewest}], model [{wantNewest}]"));
    }

    private static bool Close(double actual, double expected) => Math.Abs(actual - expected) <= Tolerance * Math.Max(1, Math.Abs(expected));

    /// <summary>A threshold rule: true or false, or null when the model's value is too close to the threshold to judge.</summary>
    private static bool? Above(double value, double threshold) =>
        Math.Abs(value - threshold) <= Tolerance * Math.Max(1, Math.Abs(threshold)) ? null : value > threshold;

    /// <summary>
    /// Writer i records its samples on thread i, one thread after another, and every thread stays alive until the
    /// analysis and the recent samples are read (an exited writer's ring could be handed to the next thread, which would
    /// change the gather order): the whole window, and the newest part of it that half the window size holds.
    /// </summary>
    private static (BatchStatsAnalysis Analysis, BatchSample[] Copied, BatchSample[] Newest) RecordAndAnalyse(LockFreeBatchStats stats, History history)
    {
        using var writers = new WriterThreads(history.Writers.Length);
        for (int w = 0; w < history.Writers.Length; w++)
        {
            Sample[] mine = history.Writers[w];
            bool first = w == 0;
            writers.Run(w, () =>
            {
                foreach (Sample s in mine)
                {
                    stats.Update(new BatchSample(s.Processing, s.BatchSize, s.Queue, s.Latency, 0, s.Stamp));
                }

                if (first)
                {
                    foreach (ErrorEvent e in history.Errors)
                    {
                        stats.RecordError(e.Count, e.Stamp);
                    }
                }
            });
        }

        var all = new BatchSample[history.Window];
        var half = new BatchSample[history.Window / 2];
        return (stats.GetComprehensiveStats(), all[..stats.CopyRecentSamples(all)], half[..stats.CopyRecentSamples(half)]); // the writers are still alive
    }

    private sealed record Expected(
        TrendDirection Performance,
        TrendDirection Throughput,
        TrendDirection Errors,
        double Efficiency,
        double Stability,
        double Utilization,
        LoadDistribution Load,
        double? Capacity,
        (string Name, bool? Value)[] Bottlenecks,
        Sample[] ByTime);

    /// <summary>The guide's definitions, computed directly.</summary>
    private static Expected Model(History history)
    {
        // Candidates: each writer's last Window records, keyed (stamp, writer, record); the window is the Window greatest,
        // gathered writer by writer (registration order), each in record order. The first writer always registers (it
        // records the errors); a writer with no sample has nothing in the window.
        var candidates = history.Writers
            .SelectMany((samples, w) => samples.Select((s, r) => (Sample: s, Writer: w, Record: r)).TakeLast(history.Window))
            .ToArray();
        var window = candidates
            .OrderByDescending(c => c.Sample.Stamp).ThenByDescending(c => c.Writer).ThenByDescending(c => c.Record)
            .Take(history.Window)
            .OrderBy(c => c.Writer).ThenBy(c => c.Record)
            .ToArray();
        Sample[] gathered = [.. window.Select(c => c.Sample)];
        int n = gathered.Length;
        long recorded = history.Writers.Sum(w => (long)w.Length);
        long allItems = history.Writers.Sum(w => w.Sum(s => (long)s.BatchSize));
        long allErrors = history.Errors.Sum(e => (long)e.Count);
        double errorRate = (double)allErrors / Math.Max(1, allItems);
        if (n == 0)
        {
            return new Expected(TrendDirection.Stable, TrendDirection.Stable, TrendDirection.Stable, 0, 1, 0, default, 0,
                [("queueing", false), ("processing_tail", false), ("errors", Above(errorRate, 0.01)), ("saturation", false)], []);
        }

        double processing = ReferenceStats.ExactSum(gathered.Select(s => s.Processing));
        double endToEnd = ReferenceStats.ExactSum(gathered.Select(s => s.Latency > 0 ? Math.Max(s.Latency, s.Processing) : s.Processing + s.Queue));
        double mean = processing / n;
        double stdDev = Math.Sqrt(ReferenceStats.ExactSum(gathered.Select(s => (s.Processing - mean) * (s.Processing - mean))) / n);
        double[] sizes = [.. gathered.Select(s => (double)s.BatchSize).Order()];
        double[] times = [.. gathered.Select(s => s.Processing).Order()];
        var load = new LoadDistribution(sizes[0], ReferenceStats.NumpyPercentile(sizes, 25), ReferenceStats.NumpyPercentile(sizes, 50), ReferenceStats.NumpyPercentile(sizes, 75), sizes[^1]);

        // Wall time: newest − oldest stamp, plus the processing time of the first-gathered sample with the oldest stamp.
        long oldest = gathered.Min(s => s.Stamp), newest = gathered.Max(s => s.Stamp);
        double wall = ((newest - oldest) / TicksPerSecond) + gathered.First(s => s.Stamp == oldest).Processing;
        int writers = window.Select(c => c.Writer).Distinct().Count();
        double utilization = wall > 0 ? Math.Clamp(processing / (wall * writers), 0, 1) : (processing > 0 ? 1 : 0);
        double capacity = (wall > 0 ? n / wall : 0) * mean / 0.7;

        double p50 = ReferenceStats.NumpyPercentile(times, 50), p99 = ReferenceStats.NumpyPercentile(times, 99);
        (string, bool?)[] bottlenecks =
        [
            ("queueing", Above(ReferenceStats.ExactSum(gathered.Select(s => s.Queue)) / n, mean)),
            ("processing_tail", p50 > 0 && p99 > 3 * p50),
            ("errors", Above(errorRate, 0.01)),
            ("saturation", Above(utilization, 0.9)),
        ];

        (TrendDirection performance, TrendDirection throughput, TrendDirection errors) = Trends(history, gathered, recorded);
        return new Expected(
            performance,
            throughput,
            errors,
            endToEnd > 0 ? Math.Clamp(processing / endToEnd, 0, 1) : 0,
            mean > 0 ? 1 / (1 + (stdDev / mean)) : 1,
            utilization,
            load,
            capacity,
            bottlenecks,
            [.. Enumerable.Range(0, n).OrderBy(i => gathered[i].Stamp).ThenBy(i => i).Select(i => gathered[i])]); // CopyRecentSamples' order
    }

    private static (TrendDirection Performance, TrendDirection Throughput, TrendDirection Errors) Trends(History history, Sample[] gathered, long recorded)
    {
        int n = gathered.Length;
        if (n < 4)
        {
            return (TrendDirection.Stable, TrendDirection.Stable, TrendDirection.Stable);
        }

        int[] byTime = [.. Enumerable.Range(0, n).OrderBy(i => gathered[i].Stamp).ThenBy(i => i)];
        var isOlder = new bool[n];
        foreach (int i in byTime.Take(n / 2))
        {
            isOlder[i] = true;
        }

        long split = gathered[byTime[n / 2]].Stamp;
        double olderProcessing = 0, newerProcessing = 0;
        long olderItems = 0, newerItems = 0;
        int olderCount = 0, newerCount = 0;
        for (int i = 0; i < n; i++) // in gather order, as the sums are taken
        {
            if (isOlder[i])
            {
                (olderProcessing, olderItems, olderCount) = (olderProcessing + gathered[i].Processing, olderItems + gathered[i].BatchSize, olderCount + 1);
            }
            else
            {
                (newerProcessing, newerItems, newerCount) = (newerProcessing + gathered[i].Processing, newerItems + gathered[i].BatchSize, newerCount + 1);
            }
        }

        // Errors from the window's oldest stamp on, or all of them while the window holds every sample ever recorded.
        long windowStart = recorded == n ? long.MinValue : gathered.Min(s => s.Stamp);
        ErrorEvent[] counted = [.. history.Errors.Where(e => e.Stamp >= windowStart)];
        long olderErrors = counted.Where(e => e.Stamp < split).Sum(e => (long)e.Count);
        long newerErrors = counted.Where(e => e.Stamp >= split).Sum(e => (long)e.Count);

        static double Mean(double sum, int count) => count > 0 ? sum / count : 0;
        static double Rate(long items, double processing) => processing > 0 ? items / processing : 0;
        static double PerItem(long errors, long items) => (double)errors / Math.Max(1, items);
        return (
            Compare(Mean(olderProcessing, olderCount), Mean(newerProcessing, newerCount), higherIsBetter: false, floor: 0),
            Compare(Rate(olderItems, olderProcessing), Rate(newerItems, newerProcessing), higherIsBetter: true, floor: 0),
            Compare(PerItem(olderErrors, olderItems), PerItem(newerErrors, newerItems), higherIsBetter: false, floor: 0.001));
    }

    private static TrendDirection Compare(double older, double newer, bool higherIsBetter, double floor)
    {
        double change = newer - older;
        if (Math.Abs(change) <= floor || Math.Abs(change) <= 0.1 * Math.Abs(older))
        {
            return TrendDirection.Stable;
        }

        return (change > 0) == higherIsBetter ? TrendDirection.Improving : TrendDirection.Degrading;
    }
}
