using System;
using System.Linq;
using System.Runtime.CompilerServices;
using System.Threading;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary><see cref="BatchStatsWriter"/>: same records as the tracker's own methods, bound to its thread.</summary>
public sealed class BatchStatsWriterTests
{
    [Fact]
    public void Writer_RecordsIntoTheCallingThreadsRing_LikeTheTrackerMethods()
    {
        var viaWriter = new LockFreeBatchStats(100, 0);
        var viaTracker = new LockFreeBatchStats(100, 0);
        BatchStatsWriter writer = viaWriter.CreateWriter();
        Assert.Same(viaWriter, writer.Stats);
        for (int i = 1; i <= 150; i++)
        {
            var s = new BatchSample(0.001 * i, i % 9, 0.0002 * i, 0.003 * i, i % 4, i);
            writer.Update(s);
            viaTracker.Update(s);
        }

        BatchSample[] many = [new(0.5, 3, 0.1, 0.7, 2, 200), new(0.25, 1, 0, 0.3, 0, 201)];
        writer.UpdateMany(many);
        viaTracker.UpdateMany(many);
        writer.RecordError(3);
        viaTracker.RecordError(3);
        writer.RecordError(30, 60); // in the window's older half (stamps 53–102 of 53–150, 200, 201): ten times the newer half's 3 (stamped now)
        viaTracker.RecordError(30, 60);
        Assert.Equal(viaTracker.GetStats().ToDictionary(), viaWriter.GetStats().ToDictionary());
        Assert.Equal(TrendDirection.Improving, viaWriter.GetComprehensiveStats().ErrorTrend); // placed by the stamp, not now
        Assert.Equal(viaTracker.GetComprehensiveStats().ToDictionary(), viaWriter.GetComprehensiveStats().ToDictionary());
        Assert.Equal(1, viaWriter.RingCount); // the handle and the tracker's methods share this thread's ring
        viaWriter.Update(new BatchSample(0.1, 1, 0, 0.1, 0, 300));
        Assert.Equal(1, viaWriter.RingCount);
        Assert.Equal(153, viaWriter.GetStats().BatchCount);
    }

    [Fact]
    public void Writer_SelfStamped_StampsIncreaseAndCountsAdd()
    {
        var stats = new LockFreeBatchStats(1000, 0);
        BatchStatsWriter writer = stats.CreateWriter();
        for (int i = 0; i < 500; i++)
        {
            writer.Update(0.01, 2, 0.001, 0.02, 1);
        }

        var samples = new BatchSample[500];
        Assert.Equal(500, stats.CopyRecentSamples(samples));
        Assert.True(samples.Zip(samples.Skip(1)).All(p => p.First.Timestamp < p.Second.Timestamp));
        Assert.Equal(1000, stats.GetStats().TotalProcessed);
    }

    /// <summary>
    /// One worker thread with a handle on each of two trackers (a model each, say): both handles keep working,
    /// whichever was created last, because a thread keeps one identity for every handle created on it.
    /// </summary>
    [Fact]
    public void Writers_OfTwoTrackers_OnOneThread_BothRecord()
    {
        var first = new LockFreeBatchStats(100, 0);
        var second = new LockFreeBatchStats(100, 0);
        Exception? failure = null;
        var worker = new Thread(() =>
        {
            try
            {
                BatchStatsWriter a = first.CreateWriter();
                BatchStatsWriter b = second.CreateWriter();
                a.Update(new BatchSample(0.1, 1, 0, 0.1, 0, 1));
                b.Update(new BatchSample(0.2, 2, 0, 0.2, 0, 1));
                a.Update(0.3, 3, 0);
                b.Update(0.4, 4, 0);
            }
            catch (Exception e)
            {
                failure = e;
            }
        });
        worker.Start();
        worker.Join();
        Assert.Null(failure);
        Assert.Equal(4, first.GetStats().TotalProcessed);
        Assert.Equal(6, second.GetStats().TotalProcessed);
    }

    [Fact]
    public void Writer_UsedFromAnotherThread_ThrowsAndRecordsNothing()
    {
        var stats = new LockFreeBatchStats(100, 0);
        BatchStatsWriter writer = stats.CreateWriter();
        writer.Update(new BatchSample(0.1, 1, 0, 0.1, 0, 1));
        // Every call from the other thread, each run there and its outcome checked here (an assertion failing on
        // that thread would crash the test host instead of failing the test).
        Action[] calls =
        [
            () => writer.Update(new BatchSample(0.2, 1, 0, 0.2, 0, 2)), // caller-stamped: the inline path
            () => writer.Update(0.1, 1, 0),
            () => writer.Update(new BatchSample(0.2, 1, 0)), // Timestamp 0: the out-of-line path
            () => writer.Update(new BatchSample(-0.0, 1, 0, Timestamp: 3)), // -0.0: the out-of-line path
            () => writer.Update(new BatchSample(0.2, -1, 0, Timestamp: 3)), // bad input: the thread check comes first
            () => writer.UpdateMany([new(0.1, 1, 0)]),
            () => writer.RecordError(),
            () => writer.RecordError(1, 5),
        ];
        var caught = new Exception?[calls.Length];
        var other = new Thread(() =>
        {
            for (int i = 0; i < calls.Length; i++)
            {
                try
                {
                    calls[i]();
                }
                catch (Exception e)
                {
                    caught[i] = e;
                }
            }
        });
        other.Start();
        other.Join();
        Assert.All(caught, e => Assert.IsType<InvalidOperationException>(e));
        Assert.Contains("CreateWriter", caught[0]!.Message, StringComparison.Ordinal);
        Assert.Contains("await", caught[0]!.Message, StringComparison.Ordinal); // the usual way to get here: a handle used across an await
        BatchStatsSnapshot s = stats.GetStats();
        Assert.Equal(1, s.BatchCount);
        Assert.Equal(0, s.TotalErrors);
    }

    [Fact]
    public void Writer_BadInput_ThrowsNamingTheParameter_AndKeepsEarlierData()
    {
        var stats = new LockFreeBatchStats(100, 0);
        BatchStatsWriter writer = stats.CreateWriter();
        writer.Update(0.1, 2, 0.01);
        var before = stats.GetStats().ToDictionary();
        Assert.Equal("processingTime", Assert.Throws<ArgumentOutOfRangeException>(() => writer.Update(double.NaN, 1, 0)).ParamName);
        Assert.Equal("sample", Assert.Throws<ArgumentOutOfRangeException>(() => writer.Update(new BatchSample(0.1, -1, 0))).ParamName);
        Assert.Equal("samples", Assert.Throws<ArgumentOutOfRangeException>(() => writer.UpdateMany([new(0.1, 1, 0), new(-1, 1, 0)])).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => writer.RecordError(0)).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => writer.RecordError(0, 5)).ParamName);
        Assert.Equal("timestamp", Assert.Throws<ArgumentOutOfRangeException>(() => writer.RecordError(1, -5)).ParamName);
        Assert.Equal(before, stats.GetStats().ToDictionary());
    }

    [Fact]
    public void Writers_OnManyThreads_AllRecordsCounted()
    {
        var stats = new LockFreeBatchStats(64, 0);
        const int PerThread = 20_000;
        var threads = Enumerable.Range(0, 4).Select(w => new Thread(() =>
        {
            BatchStatsWriter writer = stats.CreateWriter();
            for (long i = 0; i < PerThread; i++)
            {
                writer.Update(LockFreeBatchStatsConcurrencyTests.Linked((i * 4) + w + 1));
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        while (threads.Any(t => t.IsAlive))
        {
            BatchStatsSnapshot s = stats.GetStats();
            Assert.Equal(4 * s.AvgProcessingTime, s.AvgLatency); // linked samples: a torn one would break this
        }

        threads.ForEach(t => t.Join());
        BatchStatsSnapshot final = stats.GetStats();
        Assert.Equal(4 * PerThread, final.BatchCount);
        Assert.Equal(Enumerable.Range(1, 4 * PerThread).Sum(t => (long)LockFreeBatchStatsConcurrencyTests.Linked(t).BatchSize), final.TotalProcessed);
    }

    [Fact]
    public void CreateWriter_SameThreadSameHandle_OtherThreadOtherHandle()
    {
        var stats = new LockFreeBatchStats(100, 0);
        BatchStatsWriter mine = stats.CreateWriter();
        Assert.Same(mine, stats.CreateWriter());
        BatchStatsWriter? theirs = null;
        var t = new Thread(() => theirs = stats.CreateWriter());
        t.Start();
        t.Join();
        Assert.NotNull(theirs);
        Assert.NotSame(mine, theirs);
        Assert.NotSame(mine, new LockFreeBatchStats(100, 0).CreateWriter());
    }

    /// <summary>
    /// The quick thread check accepts only stack addresses already confirmed on the creating thread: calls from
    /// other depths on that thread are confirmed (and recorded), calls from another running thread at any depth throw.
    /// </summary>
    [Fact]
    public void Writer_CalledFromManyStackDepths_OnItsThreadRecords_OnAnotherThreadThrows()
    {
        var stats = new LockFreeBatchStats(1000, 0);
        BatchStatsWriter writer = stats.CreateWriter();
        long stamp = 0;
        foreach (int depth in new[] { 0, 5, 1, 40, 3, 200, 0, 17, 1500, 2, 1500 }) // 40 frames and more: beyond the 2 KiB remembered range
        {
            AtDepth(depth, () => writer.Update(LockFreeBatchStatsConcurrencyTests.Linked(++stamp)));
            AtDepth(depth, () => writer.Update(LockFreeBatchStatsConcurrencyTests.Linked(++stamp)));
        }

        int thrown = 0;
        var other = new Thread(() =>
        {
            foreach (int depth in new[] { 0, 1, 5, 40, 200, 0, 1500 })
            {
                try
                {
                    AtDepth(depth, () => writer.Update(LockFreeBatchStatsConcurrencyTests.Linked(1_000_000 + depth)));
                }
                catch (InvalidOperationException)
                {
                    thrown++;
                }
            }
        });
        other.Start();
        other.Join();
        Assert.Equal(7, thrown);
        Assert.Equal(stamp, stats.GetStats().BatchCount);
        var samples = new BatchSample[1000];
        int n = stats.CopyRecentSamples(samples);
        Assert.Equal(Enumerable.Range(1, (int)stamp).Select(i => (long)i), samples.Take(n).Select(s => s.Timestamp));
    }

    /// <summary>
    /// After the creating thread has exited, new threads (which glibc starts on the dead thread's stack memory, so a
    /// check built on stack addresses would take them for the creator) get the same answer from every method: each
    /// throws and records nothing. Run several times: each new thread is another chance to land on that stack.
    /// </summary>
    [Fact]
    public void Writer_OnNewThreadsAfterItsThreadExited_EveryMethodThrowsAndRecordsNothing()
    {
        var stats = new LockFreeBatchStats(100, 0);
        BatchStatsWriter writer = null!;
        long stamp = 0;
        Action[] calls =
        [
            () => writer.Update(LockFreeBatchStatsConcurrencyTests.Linked(++stamp)),
            () => writer.Update(0.1, 1, 0),
            () => writer.Update(new BatchSample(0.2, 1, 0)),
            () => writer.UpdateMany([LockFreeBatchStatsConcurrencyTests.Linked(++stamp)]),
            () => writer.RecordError(),
        ];

        // The creator makes every call from the same frames the later threads use, so their stack addresses match.
        Exception?[] creator = RunCallsOnNewThread(() => writer = stats.CreateWriter(), calls);
        Assert.All(creator, Assert.Null);
        for (int thread = 0; thread < 8; thread++)
        {
            Exception?[] outcomes = RunCallsOnNewThread(() => { }, calls);
            Assert.All(outcomes, e => Assert.IsType<InvalidOperationException>(e));
        }

        BatchStatsSnapshot s = stats.GetStats();
        Assert.Equal(calls.Length - 1, s.BatchCount);
        Assert.Equal(1, s.TotalErrors);
    }

    /// <summary>Runs <paramref name="setup"/>, then each call, on a new thread; returns each call's exception (null: none).</summary>
    private static Exception?[] RunCallsOnNewThread(Action setup, Action[] calls)
    {
        var outcomes = new Exception?[calls.Length];
        RunOnNewThread(() =>
        {
            setup();
            for (int i = 0; i < calls.Length; i++)
            {
                try
                {
                    calls[i]();
                }
                catch (Exception e)
                {
                    outcomes[i] = e;
                }
            }
        });
        return outcomes;
    }

    /// <summary>
    /// A writer handle's ring is never handed to another thread while the handle is reachable (even after its thread
    /// has exited), so a handle can never share its ring with a second writer; once the handle is collected the ring
    /// is reused like any dead thread's ring.
    /// </summary>
    [Fact]
    public void DeadThreadsRing_IsKeptWhileItsHandleIsReachable_ReusedAfter()
    {
        var stats = new LockFreeBatchStats(100, 0);
        var holder = new StrongBox<BatchStatsWriter?>();
        RunOnNewThread(() => holder.Value = stats.CreateWriter()); // an empty ring whose thread has exited
        Assert.Equal(1, stats.RingCount);

        RunOnNewThread(() => stats.Update(LockFreeBatchStatsConcurrencyTests.Linked(1)));
        Assert.Equal(2, stats.RingCount); // not reused: the handle could still record into it

        holder.Value = null;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        RunOnNewThread(() => stats.Update(LockFreeBatchStatsConcurrencyTests.Linked(2)));
        Assert.Equal(2, stats.RingCount); // the collected handle's empty ring was adopted
        Assert.Equal(2, stats.GetStats().BatchCount);
    }

    /// <summary>
    /// Random histories (valid, bad, -0.0 and extreme values, under the drop policy), recorded from random stack
    /// depths: the handle and the tracker's own Update keep exactly the same samples and counters.
    /// </summary>
    [Property(MaxTest = 100)]
    public Property Writer_RandomHistories_SameAsTrackerUpdate() =>
        Prop.ForAll(
            (from kind in Gen.Choose(0, 9)
             from value in Gen.Choose(0, 1_000_000)
             from size in Gen.Choose(-2, 64)
             from depth in Gen.Choose(0, 6)
             select (kind, value, size, depth)).ArrayOf().ToArbitrary(),
            steps =>
            {
                var options = new BatchStatsOptions { WindowSize = 32, CacheValidTime = TimeSpan.Zero, InvalidSamplePolicy = InvalidSamplePolicy.Drop };
                var viaWriter = new LockFreeBatchStats(options);
                var viaTracker = new LockFreeBatchStats(options);
                BatchStatsWriter writer = viaWriter.CreateWriter();
                long stamp = 0;
                foreach ((int kind, int value, int size, int depth) in steps)
                {
                    double v = value / 1e4;
                    double time = kind switch
                    {
                        0 => double.NaN,
                        1 => -v - 1e-9,
                        2 => -0.0,
                        3 => double.MaxValue,
                        4 => double.Epsilon,
                        5 => double.PositiveInfinity,
                        _ => v,
                    };
                    var sample = new BatchSample(v, size, time, v + 1, Math.Abs(size), ++stamp);
                    AtDepth(depth, () => writer.Update(sample));
                    viaTracker.Update(sample);
                }

                var a = new BatchSample[32];
                var b = new BatchSample[32];
                int na = viaWriter.CopyRecentSamples(a);
                int nb = viaTracker.CopyRecentSamples(b);
                return na == nb && a.AsSpan(0, na).SequenceEqual(b.AsSpan(0, nb))
                    && viaWriter.GetStats().ToDictionary().SequenceEqual(viaTracker.GetStats().ToDictionary());
            });

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AtDepth(int depth, Action action)
    {
        if (depth == 0)
        {
            action();
            return;
        }

        Span<byte> frame = stackalloc byte[64]; // a real frame per level, so the stack address differs
        frame[0] = (byte)depth; // depth <= 255 here
        AtDepth(frame[0] - 1, action);
    }

    private static void RunOnNewThread(Action action)
    {
        var t = new Thread(() => action());
        t.Start();
        t.Join();
    }
}
