using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using BatchStats.Fast.Internal;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// The incremental reader (GetStats after a few records applies only the change) against the full merge and against
/// an obviously-correct model of the multi-writer window, on random histories: several writer threads, cross-thread
/// timestamp ties, bursts larger than the incremental limit, stamps that go backwards, an age limit and a clock
/// that moves. After every GetStats, the incremental snapshot must equal a from-scratch merge bit for bit (means
/// included: both sum ring segment by ring segment) and the model's figures (order statistics exactly, means to 1e-12).
/// </summary>
public sealed class IncrementalWindowTests
{
    public enum StepKind
    {
        Record,
        RecordMany,
        RecordBackwards,
        Error,
        Read,
        Wait,
    }

    public sealed record HistoryStep(StepKind Kind, int Writer, BatchSample[] Values, int Ticks)
    {
        public override string ToString() => $"{Kind}(w{Writer}, {Values.Length}, +{Ticks})";
    }

    public sealed record Scenario(int Window, int Writers, int MaxAgeTicks, HistoryStep[] Steps)
    {
        public override string ToString() => $"window {Window}, {Writers} writers, max age {MaxAgeTicks}: " + string.Join(", ", Steps.Select(s => s.ToString()));
    }

    private static Gen<double> Seconds =>
        Gen.OneOf(
            Gen.Choose(0, 1000).Select(i => i / 1000.0),
            Gen.Choose(0, 4).Select(i => i * 0.25), // many ties: bands hold runs of equal values
            Gen.Choose(-6, 6).SelectMany(e => Gen.Choose(1, 999).Select(m => m * Math.Pow(10, e))));

    private static Gen<BatchSample> Value =>
        from pt in Seconds
        from bs in Gen.Choose(0, 64)
        from qt in Seconds
        from lat in Seconds
        from ql in Gen.Choose(0, 20)
        select new BatchSample(pt, bs, qt, lat, ql);

    private static Gen<HistoryStep> StepGen(int writers) =>
        from kind in Gen.Frequency(
            (10, Gen.Constant(StepKind.Record)),
            (3, Gen.Constant(StepKind.RecordMany)),
            (1, Gen.Constant(StepKind.RecordBackwards)),
            (1, Gen.Constant(StepKind.Error)),
            (8, Gen.Constant(StepKind.Read)),
            (2, Gen.Constant(StepKind.Wait)))
        from writer in Gen.Choose(0, writers - 1)
        from count in Gen.Frequency((6, Gen.Choose(1, 4)), (3, Gen.Choose(5, 40)), (1, Gen.Choose(41, 160)))
        from values in Value.ArrayOf(kind is StepKind.Record or StepKind.RecordMany or StepKind.RecordBackwards ? count : 0)
        from ticks in Gen.Choose(0, 2)
        select new HistoryStep(kind, writer, values, kind == StepKind.Wait ? count : ticks);

    public static Arbitrary<Scenario> Scenarios() =>
        (from window in Gen.OneOf(Gen.Choose(1, 16), Gen.Choose(17, 300))
         from writers in Gen.Choose(1, 3)
         from maxAge in Gen.OneOf(Gen.Constant(0), Gen.Choose(20, 400))
         from steps in StepGen(writers).ArrayOf()
         select new Scenario(window, writers, maxAge, steps)).ToArbitrary();

    [Property(MaxTest = 150, Arbitrary = [typeof(IncrementalWindowTests)])]
    public void RandomMultiWriterHistory_IncrementalEqualsFullMergeAndModel(Scenario scenario)
    {
        var clock = new ManualTimeProvider();
        var stats = new LockFreeBatchStats(
            new BatchStatsOptions
            {
                WindowSize = scenario.Window,
                CacheValidTime = TimeSpan.Zero,
                MaxSampleAge = scenario.MaxAgeTicks > 0 ? TimeSpan.FromSeconds(scenario.MaxAgeTicks / (double)clock.TimestampFrequency) : null,
                TimeProvider = clock,
            });
        var model = new WindowModel(scenario.Window);
        using var writers = new WriterThreads(scenario.Writers);
        foreach (HistoryStep step in scenario.Steps)
        {
            switch (step.Kind)
            {
                case StepKind.Record:
                    foreach (BatchSample v in step.Values)
                    {
                        clock.Now += step.Ticks;
                        BatchSample s = v with { Timestamp = clock.Now };
                        writers.Run(step.Writer, () => stats.Update(s));
                        model.Add(step.Writer, s);
                    }

                    break;
                case StepKind.RecordMany:
                    clock.Now += step.Ticks;
                    BatchSample[] batch = step.Values.Select((v, i) => v with { Timestamp = clock.Now + i }).ToArray();
                    clock.Now += batch.Length;
                    writers.Run(step.Writer, () => stats.UpdateMany(batch));
                    foreach (BatchSample s in batch)
                    {
                        model.Add(step.Writer, s);
                    }

                    break;
                case StepKind.RecordBackwards:
                    BatchSample back = step.Values[0] with { Timestamp = Math.Max(1, clock.Now - 1 - (7 * step.Values.Length)) };
                    writers.Run(step.Writer, () => stats.Update(back));
                    model.Add(step.Writer, back);
                    break;
                case StepKind.Error:
                    writers.Run(step.Writer, () => stats.RecordError(2));
                    model.Touch(step.Writer); // the first call of a thread registers its ring, whatever the call
                    model.Errors += 2;
                    break;
                case StepKind.Wait:
                    clock.Now += step.Ticks;
                    break;
                default:
                    Check(stats, model, scenario, clock.Now);
                    break;
            }
        }

        Check(stats, model, scenario, clock.Now);
    }

    [Fact]
    public void SmallChangesBetweenReads_AreAppliedIncrementally_AndEqualTheFullMerge()
    {
        var stats = new LockFreeBatchStats(1000, 0);
        var random = new Random(7);
        BatchSample Next(long t) => new(random.NextDouble(), random.Next(1, 64), random.NextDouble() * 0.1, random.NextDouble(), random.Next(0, 9), t);
        var other = new Thread(() =>
        {
            for (int i = 1; i <= 1500; i++)
            {
                stats.Update(Next(2 * i));
            }
        });
        other.Start();
        other.Join();
        for (int i = 1; i <= 600; i++)
        {
            stats.Update(Next((2 * i) + 1));
        }

        stats.GetStats(); // merges from scratch and keeps the window
        long before = stats.IncrementalAdvances;
        for (long t = 5000; t < 5300; t++)
        {
            stats.Update(Next(t));
            if (t % 3 == 0)
            {
                stats.Update(Next(t)); // a timestamp tie within the thread
            }

            AssertSameBits(stats.GetStatsFromScratch(), stats.GetStats());
        }

        Assert.Equal(before + 300, stats.IncrementalAdvances);
    }

    /// <summary>
    /// A long run of reads, each after one to three records, under an age limit that keeps about six records: each
    /// read appends to the ring's mirror and drops from its front, so the mirror's run walks along its arrays and is
    /// moved back to their front every few dozen reads. Every field moves with it (the age cut reads the stamps), so
    /// every read equals the full merge bit for bit, and every read after the first is incremental.
    /// </summary>
    [Fact]
    public void ManyReadsUnderAnAgeLimit_TheMirrorsRunMovesBackToTheFront_AndEveryReadEqualsTheFullMerge()
    {
        var clock = new ManualTimeProvider();
        var stats = new LockFreeBatchStats(
            new BatchStatsOptions
            {
                WindowSize = 16,
                CacheValidTime = TimeSpan.Zero,
                MaxSampleAge = TimeSpan.FromSeconds(6.0 / clock.TimestampFrequency), // six ticks
                TimeProvider = clock,
            });
        var random = new Random(11);
        stats.GetStats();
        long before = stats.IncrementalAdvances;
        for (int read = 0; read < 1000; read++)
        {
            for (int n = random.Next(1, 4); n > 0; n--)
            {
                clock.Now++;
                stats.Update(new BatchSample(random.NextDouble(), random.Next(1, 64), random.NextDouble(), random.NextDouble(), random.Next(0, 9), clock.Now));
            }

            BatchStatsSnapshot incremental = stats.GetStats();
            AssertSameBits(stats.GetStatsFromScratch(), incremental);
            Assert.InRange(incremental.WindowCount, 1, 7); // the age limit, not the window size, decides: one record per tick, six ticks back
        }

        Assert.Equal(before + 1000, stats.IncrementalAdvances);
    }

    /// <summary>
    /// Negative zeros recorded between reads: the incremental reader turns them into +0.0 as the full merge does, so
    /// a median of zeros is +0.0, bit for bit the full merge's.
    /// </summary>
    [Fact]
    public void NegativeZeros_AppliedIncrementally_ReadAsPositiveZeroLikeTheFullMerge()
    {
        var stats = new LockFreeBatchStats(40, 0);
        for (int i = 1; i <= 40; i++)
        {
            stats.Update(new BatchSample(0.001 * i, 1, 0, 0.002 * i, 0, i));
        }

        stats.GetStats(); // merges from scratch and keeps the window
        long before = stats.IncrementalAdvances;
        for (int i = 41; i <= 70; i++)
        {
            stats.Update(new BatchSample(-0.0, 1, -0.0, -0.0, 0, i));
            BatchStatsSnapshot incremental = stats.GetStats();
            AssertSameBits(stats.GetStatsFromScratch(), incremental);
        }

        Assert.Equal(before + 30, stats.IncrementalAdvances);
        BatchStatsSnapshot last = stats.GetStats();
        Assert.Equal(0L, BitConverter.DoubleToInt64Bits(last.MedianProcessingTime)); // +0.0: 30 of the 40 values are zeros
        Assert.Equal(0L, BitConverter.DoubleToInt64Bits(last.MedianLatency));
    }

    /// <summary>
    /// A backwards stamp that the age limit drops from between kept samples: the full merge declines to seed the
    /// incremental reader from that window, and every later read, incremental or not, equals the full merge bit for bit.
    /// </summary>
    [Fact]
    public void AgedOutSampleBetweenKeptOnes_LaterReadsEqualTheFullMerge()
    {
        var clock = new ManualTimeProvider { Now = 1000 };
        LockFreeBatchStats stats = LockFreeBatchStatsCachingAndTimeTests.HundredTickAgeLimit(clock, windowSize: 6);
        void Record(long stamp, double value) => stats.Update(new BatchSample(value, 1, value / 10, value * 2, (int)(stamp % 7), stamp));
        Record(1000, 0.5);
        Record(850, 0.9); // backwards, and older than the age limit once the clock passes 950
        Record(1001, 0.3);
        Record(1002, 0.7);
        clock.Now = 1002;
        AssertSameBits(stats.GetStatsFromScratch(), stats.GetStats());
        for (long t = 1003; t < 1040; t++)
        {
            clock.Now = t;
            Record(t, (t % 11) / 10.0);
            AssertSameBits(stats.GetStatsFromScratch(), stats.GetStats());
        }
    }

    [Fact]
    public void LargeBurst_FallsBackToTheFullMerge_ThenResumes()
    {
        var stats = new LockFreeBatchStats(400, 0);
        for (int i = 1; i <= 500; i++)
        {
            stats.Update(new BatchSample(i % 17 * 0.01, 2, 0, 0.1, 1, i));
        }

        stats.GetStats();
        long before = stats.IncrementalAdvances;
        for (int i = 501; i <= 700; i++)
        {
            stats.Update(new BatchSample(i % 13 * 0.01, 3, 0, 0.2, 2, i)); // 200 > 400 / 4 and > 64: too many to apply
        }

        AssertSameBits(stats.GetStatsFromScratch(), stats.GetStats());
        Assert.Equal(before, stats.IncrementalAdvances);
        stats.Update(new BatchSample(0.5, 1, 0, 0.5, 0, 701));
        AssertSameBits(stats.GetStatsFromScratch(), stats.GetStats());
        Assert.Equal(before + 1, stats.IncrementalAdvances);
    }

    /// <summary>
    /// A writer publishes more between the reader's count of what is pending and its copy than the scratch that
    /// count sized holds (the hook records at that exact point, as a busy writer would): the advance declines, the
    /// read merges from scratch with every record, and the next small change is applied incrementally again.
    /// </summary>
    [Fact]
    public void MoreArrivesWhileTheDeltaIsCopiedThanTheScratchHolds_TheReadMergesFromScratch()
    {
        var stats = new LockFreeBatchStats(1000, 0);
        long t = 0;
        void Record(int count)
        {
            for (int i = 0; i < count; i++, t++)
            {
                stats.Update(new BatchSample(t % 29 * 0.001, 1 + (int)(t % 5), 0, t % 31 * 0.002, (int)(t % 3), t + 1));
            }
        }

        Record(1000);
        stats.GetStats(); // merges from scratch and keeps the window
        long before = stats.IncrementalAdvances;
        IncrementalWindow kept = stats.IncrementalWindowForTests!;
        kept.BeforeDeltaCopy = () =>
        {
            kept.BeforeDeltaCopy = null;
            Record(100); // the scratch holds 1 pending + 64; 101 is still under the advance limit of 250
        };
        Record(1);
        BatchStatsSnapshot snapshot = stats.GetStats();
        Assert.Null(kept.BeforeDeltaCopy); // the hook ran
        Assert.Equal(1101, snapshot.BatchCount);
        Assert.Equal(before, stats.IncrementalAdvances);
        AssertSameBits(stats.GetStatsFromScratch(), snapshot);
        Record(1);
        AssertSameBits(stats.GetStatsFromScratch(), stats.GetStats());
        Assert.Equal(before + 1, stats.IncrementalAdvances);
    }

    /// <summary>
    /// A read that throws inside an advance (the hook throws, as an exhausted pool would) hands the exception to its
    /// caller and drops the kept window, which may be half-applied: the next read merges from scratch and equals the
    /// full merge, and the one after it advances again.
    /// </summary>
    [Fact]
    public void ReadThrowsDuringAnAdvance_TheNextReadMergesFromScratch()
    {
        var stats = new LockFreeBatchStats(100, 0);
        for (int i = 1; i <= 150; i++)
        {
            stats.Update(new BatchSample(i % 7 * 0.01, 2, 0, i % 5 * 0.02, 1, i));
        }

        stats.GetStats(); // merges from scratch and keeps the window
        long before = stats.IncrementalAdvances;
        IncrementalWindow kept = stats.IncrementalWindowForTests!;
        kept.BeforeDeltaCopy = () => throw new InvalidOperationException("the pool is exhausted");
        stats.Update(new BatchSample(0.5, 3, 0, 0.6, 2, 151));
        Assert.Equal("the pool is exhausted", Assert.Throws<InvalidOperationException>(() => stats.GetStats()).Message);
        kept.BeforeDeltaCopy = null;
        BatchStatsSnapshot after = stats.GetStats();
        Assert.Equal(151, after.BatchCount);
        Assert.Equal(before, stats.IncrementalAdvances);
        AssertSameBits(stats.GetStatsFromScratch(), after);
        stats.Update(new BatchSample(0.25, 1, 0, 0.3, 0, 152));
        AssertSameBits(stats.GetStatsFromScratch(), stats.GetStats());
        Assert.Equal(before + 1, stats.IncrementalAdvances);
    }

    /// <summary>
    /// The age limit is inclusive for new records too: after every kept sample has aged out, a new one stamped exactly
    /// at the limit stays in the window, as in the full merge.
    /// </summary>
    [Fact]
    public void NewSampleExactlyAtTheAgeLimit_AfterTheKeptWindowAgedOut_IsKept()
    {
        var clock = new ManualTimeProvider { Now = 1000 };
        LockFreeBatchStats stats = LockFreeBatchStatsCachingAndTimeTests.HundredTickAgeLimit(clock, windowSize: 16);
        stats.Update(new BatchSample(0.5, 1, 0, 0.5, 0, 999));
        stats.Update(new BatchSample(0.6, 1, 0, 0.6, 0, 1000));
        Assert.Equal(2, stats.GetStats().WindowCount); // merges from scratch and keeps the window
        long before = stats.IncrementalAdvances;
        clock.Now = 1200; // the limit is 1100: both kept samples are older
        stats.Update(new BatchSample(0.7, 1, 0, 0.7, 0, 1100));
        stats.Update(new BatchSample(0.9, 1, 0, 0.9, 0, 1150));
        BatchStatsSnapshot incremental = stats.GetStats();
        Assert.Equal(before + 1, stats.IncrementalAdvances);
        Assert.Equal((2, 0.7), (incremental.WindowCount, incremental.MinProcessingTime));
        AssertSameBits(stats.GetStatsFromScratch(), incremental);
    }

    /// <summary>
    /// Two writers' records all stamped <see cref="long.MaxValue"/>: the ties leave the window in (ring, record) order,
    /// the earlier-registered ring's first, so each incremental read equals the full merge bit for bit.
    /// </summary>
    [Fact]
    public void StampsTiedAtTheLargestStamp_AppliedIncrementally_LeaveByRingThenRecord()
    {
        var stats = new LockFreeBatchStats(4, 0);
        using var writers = new WriterThreads(2);
        void Record(int writer, double value) => writers.Run(writer, () => stats.Update(new BatchSample(value, 1, 0, value * 2, 0, long.MaxValue)));
        Record(0, 0.1);
        Record(1, 0.2);
        Record(0, 0.3);
        Record(1, 0.4);
        stats.GetStats(); // merges from scratch and keeps the window
        long before = stats.IncrementalAdvances;
        for (int i = 1; i <= 6; i++)
        {
            Record(i % 2, 0.5 + (0.1 * i));
            BatchStatsSnapshot incremental = stats.GetStats();
            AssertSameBits(stats.GetStatsFromScratch(), incremental);
        }

        Assert.Equal(before + 6, stats.IncrementalAdvances);
    }

    [Fact]
    public void TrendingData_RebuildsBands_AndStaysExact()
    {
        // Every new value is larger than all before: each percentile's band drifts by one rank per record.
        var stats = new LockFreeBatchStats(500, 0);
        var model = new ReferenceStats(500);
        for (int i = 1; i <= 3000; i++)
        {
            var s = new BatchSample(i * 1e-4, 1, 0, 2 * i * 1e-4, 0, i);
            stats.Update(s);
            model.Add(s);
            if (i % 5 == 0)
            {
                SnapshotAssert.Matches(model.Figures(), stats.GetStats(), $"after {i}");
            }
        }

        Assert.True(stats.IncrementalAdvances > 500);
        Assert.True(stats.IncrementalBandRebuilds > 0);
    }

    private static void Check(LockFreeBatchStats stats, WindowModel model, Scenario scenario, long now)
    {
        BatchStatsSnapshot incremental = stats.GetStats();
        BatchStatsSnapshot full = stats.GetStatsFromScratch();
        AssertSameBits(full, incremental);
        // The age limit in clock ticks, converted as the tracker converts it.
        long oldestAllowed = stats.Options.MaxSampleAge is { } age ? now - (long)(age.TotalSeconds * 1_000_000) : long.MinValue;
        var reference = new ReferenceStats(scenario.Window);
        foreach (BatchSample s in model.Window(oldestAllowed))
        {
            reference.Add(s);
        }

        Dictionary<string, double> expected = reference.Figures();
        expected["batch_count"] = model.Count;
        expected["total_processed"] = model.TotalProcessed;
        expected["total_errors"] = model.Errors;
        expected["error_rate"] = (double)model.Errors / Math.Max(1, model.TotalProcessed);
        SnapshotAssert.Matches(expected, incremental, "incremental");
    }

    private static void AssertSameBits(BatchStatsSnapshot expected, BatchStatsSnapshot actual)
    {
        IReadOnlyDictionary<string, double> want = expected.ToDictionary(), got = actual.ToDictionary();
        foreach ((string key, double value) in want)
        {
            Assert.True(BitConverter.DoubleToInt64Bits(value) == BitConverter.DoubleToInt64Bits(got[key]), $"{key}: full merge {value:R}, incremental {got[key]:R}");
        }
    }

    /// <summary>
    /// The window by definition: per writer ring its last WindowSize records, those at or after the age limit, and of
    /// those the WindowSize greatest (timestamp, ring registration order, record order) keys.
    /// </summary>
    private sealed class WindowModel(int window)
    {
        private readonly List<List<BatchSample>> _rings = [];
        private readonly Dictionary<int, int> _ringOfWriter = [];

        public long Errors { get; set; }

        public long Count => _rings.Sum(r => (long)r.Count);

        public long TotalProcessed => _rings.Sum(r => r.Sum(s => (long)s.BatchSize));

        public void Add(int writer, BatchSample s) => _rings[Touch(writer)].Add(s);

        public int Touch(int writer)
        {
            if (!_ringOfWriter.TryGetValue(writer, out int ring))
            {
                ring = _rings.Count; // rings are registered in the order threads first record
                _ringOfWriter[writer] = ring;
                _rings.Add([]);
            }

            return ring;
        }

        public IEnumerable<BatchSample> Window(long oldestAllowed) =>
            _rings
                .SelectMany((samples, ring) => samples.Select((s, seq) => (s, ring, seq)).Skip(Math.Max(0, samples.Count - window)))
                .Where(x => x.s.Timestamp >= oldestAllowed)
                .OrderByDescending(x => x.s.Timestamp).ThenByDescending(x => x.ring).ThenByDescending(x => x.seq)
                .Take(window)
                .Select(x => x.s);
    }
}
