using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// The three trends of <see cref="LockFreeBatchStats.GetComprehensiveStats"/> against a plain model on random
/// histories from up to three writer threads: caller stamps drawn from a narrow range (so stamps tie within a ring and
/// across rings, and go backwards), errors with stamps of their own, and windows that hold the whole history or cut
/// it. As the guide defines them: the window is the <c>WindowSize</c> greatest (timestamp, ring, record) keys among
/// each ring's last <c>WindowSize</c> records, gathered ring by ring in record order; sort it by (timestamp, gather
/// position) and the first ⌊n/2⌋ are the older half; errors count from the window's oldest stamp on (all of them while
/// the window holds every sample), before the split stamp in the older half; compare the halves' mean processing time,
/// Σ batch size / Σ processing time and errors per item by 10 % (and 0.001 absolute for errors).
/// </summary>
public sealed class TrendModelTests
{
    public sealed record Sample(double Processing, int BatchSize, long Stamp);

    public sealed record ErrorEvent(int Count, long Stamp);

    /// <summary>The window size, each writer's samples in record order (writers register in this order), and the first writer's errors.</summary>
    public sealed record History(int Window, Sample[][] Writers, ErrorEvent[] Errors)
    {
        public override string ToString() =>
            $"window {Window}: " + string.Join(" | ", Writers.Select((w, i) => $"writer {i}: " + string.Join(", ", w.Select(s => $"({s.Processing}, {s.BatchSize}, t{s.Stamp})"))))
            + " | errors: " + string.Join(", ", Errors.Select(e => $"{e.Count}@t{e.Stamp}"));
    }

    private const long Base = 1_000_000;

    private static Gen<long> Stamp => Gen.Choose(0, 40).Select(i => Base + (i * 1000L));

    private static Gen<Sample> Samples =>
        from processing in Gen.OneOf(Gen.Choose(0, 1000).Select(i => i / 1000.0), Gen.Choose(1, 4).Select(i => i * 0.125))
        from batch in Gen.OneOf(Gen.Choose(0, 64), Gen.Constant(10))
        from stamp in Stamp
        select new Sample(processing, batch, stamp);

    public static Arbitrary<History> Histories() =>
        (from window in Gen.OneOf(Gen.Choose(1, 16), Gen.Constant(128))
         from writers in Gen.Choose(1, 3)
         from samples in Samples.ArrayOf().Select(a => a.Take(40).ToArray()).ArrayOf(writers)
         from errors in (from c in Gen.Choose(1, 5) from t in Stamp select new ErrorEvent(c, t)).ArrayOf().Select(a => a.Take(20).ToArray())
         select new History(window, samples, errors)).ToArbitrary();

    [Property(MaxTest = 200, Arbitrary = [typeof(TrendModelTests)])]
    public bool Trends_MatchTheModel(History history)
    {
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = history.Window, CacheValidTime = TimeSpan.Zero, TimeProvider = new ManualTimeProvider() });
        BatchStatsAnalysis a = RecordAndAnalyse(stats, history);
        (TrendDirection performance, TrendDirection throughput, TrendDirection errors) = Model(history);
        return a.PerformanceTrend == performance && a.ThroughputTrend == throughput && a.ErrorTrend == errors;
    }

    /// <summary>
    /// Writer i records its samples on thread i, one thread after another, and every thread stays alive until the
    /// analysis is read (an exited writer's ring could be handed to the next thread, which would change the gather order).
    /// </summary>
    private static BatchStatsAnalysis RecordAndAnalyse(LockFreeBatchStats stats, History history)
    {
        using var release = new ManualResetEventSlim();
        var threads = new List<Thread>();
        for (int w = 0; w < history.Writers.Length; w++)
        {
            using var recorded = new ManualResetEventSlim();
            Sample[] mine = history.Writers[w];
            bool first = w == 0;
            var thread = new Thread(() =>
            {
                foreach (Sample s in mine)
                {
                    stats.Update(new BatchSample(s.Processing, s.BatchSize, 0, 0, 0, s.Stamp));
                }

                if (first)
                {
                    foreach (ErrorEvent e in history.Errors)
                    {
                        stats.RecordError(e.Count, e.Stamp);
                    }
                }

                recorded.Set();
                release.Wait();
            })
            { IsBackground = true }; // never keeps the test host alive
            thread.Start();
            recorded.Wait();
            threads.Add(thread);
        }

        try
        {
            return stats.GetComprehensiveStats();
        }
        finally
        {
            release.Set();
            threads.ForEach(t => t.Join());
        }
    }

    /// <summary>The guide's definitions, computed directly.</summary>
    private static (TrendDirection Performance, TrendDirection Throughput, TrendDirection Errors) Model(History history)
    {
        // Candidates: each writer's last Window records, keyed (stamp, writer, record); the window is the Window greatest,
        // gathered writer by writer (registration order), each in record order. The first writer always registers (it
        // records the errors); a writer with no sample has nothing in the window.
        var candidates = history.Writers
            .SelectMany((samples, w) => samples.Select((s, r) => (Sample: s, Writer: w, Record: r)).TakeLast(history.Window))
            .ToArray();
        Sample[] gathered = [.. candidates
            .OrderByDescending(c => c.Sample.Stamp).ThenByDescending(c => c.Writer).ThenByDescending(c => c.Record)
            .Take(history.Window)
            .OrderBy(c => c.Writer).ThenBy(c => c.Record)
            .Select(c => c.Sample)];
        int n = gathered.Length;
        long recorded = history.Writers.Sum(w => (long)w.Length);
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
