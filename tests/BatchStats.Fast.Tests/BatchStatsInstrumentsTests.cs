using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Linq;
using System.Threading;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary><see cref="BatchStatsInstruments"/>: what a MeterListener sees per collection.</summary>
public sealed class BatchStatsInstrumentsTests
{
    [Fact]
    public void Instruments_MeterListener_SeesEveryFigureFromOneSnapshotPerCollection()
    {
        var counting = new CountingStats(ExportHistory.FixedHistory());
        using var meter = new Meter("BatchStats.Fast.Tests." + Guid.NewGuid().ToString("N"));
        using BatchStatsInstruments instruments = BatchStatsInstruments.Create(counting, meter);
        var seen = new Dictionary<string, (double Value, string? Unit, string? Description)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((i, v, _, _) => seen[i.Name] = (v, i.Unit, i.Description));
        listener.SetMeasurementEventCallback<long>((i, v, _, _) => seen[i.Name] = (v, i.Unit, i.Description));
        listener.Start();
        listener.RecordObservableInstruments(); // warm-up: the first collection also JIT-compiles every callback
        Thread.Sleep(BatchStatsInstruments.SnapshotReuse * 2); // past the reuse window: the next collection takes a new snapshot
        counting.Calls = 0;
        listener.RecordObservableInstruments();

        BatchStatsSnapshot s = counting.Inner.GetStats();
        Assert.Equal(20, seen.Count);
        Assert.Equal(1, counting.Calls); // one snapshot for the whole collection
        Assert.Equal(s.P99ProcessingTime, seen["batchstats.processing_time.p99"].Value);
        Assert.Equal(s.AvgProcessingTime, seen["batchstats.processing_time.mean"].Value);
        Assert.Equal(s.P95Latency, seen["batchstats.latency.p95"].Value);
        Assert.Equal(s.Throughput, seen["batchstats.throughput"].Value);
        Assert.Equal(s.ErrorRate, seen["batchstats.error_rate"].Value);
        Assert.Equal(40, seen["batchstats.batches"].Value);
        Assert.Equal(3, seen["batchstats.errors"].Value);
        Assert.Equal(s.AvgLatency, seen["batchstats.latency.mean"].Value);
        Assert.Equal(s.MedianLatency, seen["batchstats.latency.p50"].Value);
        Assert.Equal(4, seen["batchstats.queue_length.max"].Value); // queue lengths i % 5
        Assert.Equal(s.AvgBatchSize, seen["batchstats.batch_size.mean"].Value);
        Assert.Equal(32, seen["batchstats.window.batches"].Value); // a 32-record window of 40
        Assert.Equal(s.PeakThroughput, seen["batchstats.throughput.peak"].Value);
        Assert.Equal(s.RejectedSamples, seen["batchstats.rejected_samples"].Value);
        Assert.Equal(
            new Dictionary<string, string?>
            {
                ["batchstats.processing_time.mean"] = "s",
                ["batchstats.processing_time.p50"] = "s",
                ["batchstats.processing_time.p95"] = "s",
                ["batchstats.processing_time.p99"] = "s",
                ["batchstats.latency.mean"] = "s",
                ["batchstats.latency.p50"] = "s",
                ["batchstats.latency.p95"] = "s",
                ["batchstats.latency.p99"] = "s",
                ["batchstats.queue_time.mean"] = "s",
                ["batchstats.queue_length.mean"] = "{item}",
                ["batchstats.queue_length.max"] = "{item}",
                ["batchstats.batch_size.mean"] = "{item}",
                ["batchstats.window.batches"] = "{batch}",
                ["batchstats.throughput"] = "{item}/s",
                ["batchstats.throughput.peak"] = "{item}/s",
                ["batchstats.error_rate"] = "1",
                ["batchstats.batches"] = "{batch}",
                ["batchstats.items"] = "{item}",
                ["batchstats.errors"] = "{error}",
                ["batchstats.rejected_samples"] = "{sample}",
            },
            seen.ToDictionary(p => p.Key, p => p.Value.Unit)); // UCUM units, as OpenTelemetry's semantic conventions write them
        Assert.All(seen.Values, v => Assert.False(string.IsNullOrEmpty(v.Description)));
        Assert.All(seen.Keys, k => Assert.Matches("^[a-z_.0-9]+$", k));

        instruments.Dispose();
        seen.Clear();
        listener.RecordObservableInstruments();
        Assert.Empty(seen);
    }

    [Fact]
    public void Instruments_TrackerWithHistograms_PublishesTheAllTimeSums()
    {
        LockFreeBatchStats inner = ExportHistory.FixedHistory();
        var own = new ForwardingStats(inner);
        using var meter = new Meter("BatchStats.Fast.Tests." + Guid.NewGuid().ToString("N"));
        using BatchStatsInstruments forOwn = BatchStatsInstruments.Create(own, meter, [new("tracker", "own")]);
        using BatchStatsInstruments forCore = BatchStatsInstruments.Create(inner, meter, [new("tracker", "core")]);
        var sums = new List<(BatchStatsInstruments Owner, string Name, double Value)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name.EndsWith(".sum", StringComparison.Ordinal) && ReferenceEquals(instrument.Meter, meter))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((i, v, tags, _) =>
        {
            BatchStatsInstruments owner = forOwn.Instruments.Contains(i) ? forOwn : forCore;
            if (tags.Length == 1 && tags[0].Key == "tracker" && (string?)tags[0].Value == (owner == forOwn ? "own" : "core")) // each measurement carries its publication's tags
            {
                sums.Add((owner, i.Name, v));
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();

        BatchStatsHistograms h = inner.GetHistograms(); // 40 samples of pt = (1 + i % 8) / 256 s, queue time pt / 4, latency 2 pt
        Assert.Equal(180 / 256.0, h.ProcessingTime.Sum);
        var expected = new Dictionary<string, double>
        {
            ["batchstats.processing_time.sum"] = h.ProcessingTime.Sum,
            ["batchstats.queue_time.sum"] = h.QueueTime.Sum,
            ["batchstats.latency.sum"] = h.Latency.Sum,
        };
        Assert.Equal(3, expected.Values.Distinct().Count());
        foreach (BatchStatsInstruments owner in new[] { forOwn, forCore })
        {
            Assert.Equal(expected, sums.Where(s => s.Owner == owner).ToDictionary(s => s.Name, s => s.Value));
        }

        Assert.Equal(1, own.HistogramCalls); // the user's type is read through GetHistograms, once for the three sums
        Assert.Equal(23, forOwn.Instruments.Count);
        Assert.All(forCore.Instruments.Where(i => i.Name.EndsWith(".sum", StringComparison.Ordinal)), i =>
        {
            Assert.Equal("s", i.Unit);
            Assert.False(string.IsNullOrEmpty(i.Description));
        });

        Thread.Sleep(BatchStatsInstruments.SnapshotReuse * 2);
        own.Update(new BatchSample(1.0, 1, 0.5, 2.0, 0, Timestamp: 5000));
        sums.Clear();
        listener.RecordObservableInstruments(); // a later collection reads the histograms afresh: the sums grew
        Assert.Equal(2, own.HistogramCalls);
        Assert.Equal(expected["batchstats.latency.sum"] + 2.0, sums.Single(s => s.Owner == forOwn && s.Name == "batchstats.latency.sum").Value);
        Assert.Equal(expected["batchstats.queue_time.sum"] + 0.5, sums.Single(s => s.Owner == forCore && s.Name == "batchstats.queue_time.sum").Value);

        forCore.Dispose();
        sums.Clear();
        listener.RecordObservableInstruments();
        Assert.Equal(3, sums.Count);
        Assert.All(sums, s => Assert.Equal(forOwn, s.Owner)); // the disposed publication's sums report nothing
    }

    /// <summary>
    /// Two collections on two threads, interleaved at the worst point: A has taken its snapshot and reported its first
    /// instrument when B, which found no snapshot to reuse as A did, takes a newer one and completes. A's other
    /// instruments still report A's snapshot (they read B's before: batches of one snapshot, items of another).
    /// </summary>
    [Fact]
    public void OverlappingCollections_EachReportsOneSnapshotOfItsOwn()
    {
        var a = new BatchStatsSnapshot { BatchCount = 10, TotalProcessed = 100, AvgProcessingTime = 0.01, Throughput = 1_000 };
        var b = new BatchStatsSnapshot { BatchCount = 20, TotalProcessed = 200, AvgProcessingTime = 0.02, Throughput = 2_000 };
        using var bEntered = new ManualResetEventSlim();
        using var aReported = new ManualResetEventSlim();
        using var bDone = new ManualResetEventSlim();
        var wait = TimeSpan.FromSeconds(10);
        Thread? threadA = null;
        var stats = new ScriptedStats(() =>
        {
            if (Thread.CurrentThread == threadA)
            {
                bEntered.Wait(wait); // B is in GetStats too: both found nothing to reuse (no assert on these threads: a timeout shows in the figures)
                return a;
            }

            bEntered.Set();
            aReported.Wait(wait); // B's snapshot is taken after A's
            return b;
        });
        using var meter = new Meter("BatchStats.Fast.Tests." + Guid.NewGuid().ToString("N"));
        using BatchStatsInstruments instruments = BatchStatsInstruments.Create(stats, meter);
        var seenA = new Dictionary<string, double>();
        var seenB = new Dictionary<string, double>();
        using MeterListener listenerA = Listener(meter, (name, value) =>
        {
            seenA[name] = value;
            if (!aReported.IsSet)
            {
                aReported.Set();
                bDone.Wait(wait); // B's whole collection runs between A's first and second instrument
            }
        });
        using MeterListener listenerB = Listener(meter, (name, value) => seenB[name] = value);

        threadA = new Thread(listenerA.RecordObservableInstruments);
        threadA.Start();
        var threadB = new Thread(() =>
        {
            listenerB.RecordObservableInstruments();
            bDone.Set();
        });
        threadB.Start();
        Assert.True(threadA.Join(wait) && threadB.Join(wait), "a collection did not finish");

        Assert.Equal(20, seenA.Count);
        Assert.Equal((10.0, 100.0, 0.01, 1_000.0), (seenA["batchstats.batches"], seenA["batchstats.items"], seenA["batchstats.processing_time.mean"], seenA["batchstats.throughput"]));
        Assert.Equal((20.0, 200.0, 0.02, 2_000.0), (seenB["batchstats.batches"], seenB["batchstats.items"], seenB["batchstats.processing_time.mean"], seenB["batchstats.throughput"]));
        Assert.Equal(2, stats.Calls);

        static MeterListener Listener(Meter meter, Action<string, double> seen)
        {
            var listener = new MeterListener();
            listener.InstrumentPublished = (instrument, l) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    l.EnableMeasurementEvents(instrument);
                }
            };
            listener.SetMeasurementEventCallback<double>((i, v, _, _) => seen(i.Name, v));
            listener.SetMeasurementEventCallback<long>((i, v, _, _) => seen(i.Name, v));
            listener.Start();
            return listener;
        }
    }

    [Fact]
    public void Create_NullArgument_ThrowsNamingIt()
    {
        using var meter = new Meter("BatchStats.Fast.Tests." + Guid.NewGuid().ToString("N"));
        Assert.Equal("stats", Assert.Throws<ArgumentNullException>(() => BatchStatsInstruments.Create(null!, meter)).ParamName);
        Assert.Equal("meter", Assert.Throws<ArgumentNullException>(() => BatchStatsInstruments.Create(new LockFreeBatchStats(10, 0), null!)).ParamName);
        Assert.Equal("tags", Assert.Throws<ArgumentNullException>(() => BatchStatsInstruments.Create(new LockFreeBatchStats(10, 0), meter, null!)).ParamName);
    }

    /// <summary>
    /// Tag keys must be non-empty and distinct; a tag set is the same whatever order its tags come in (and then
    /// refused on the same meter), and a refused or bad call publishes nothing.
    /// </summary>
    [Fact]
    public void Create_Tags_CheckedAndComparedAsASet()
    {
        using var meter = new Meter("BatchStats.Fast.Tests." + Guid.NewGuid().ToString("N"));
        var stats = new LockFreeBatchStats(10, 0);
        Assert.Equal("tags", Assert.Throws<ArgumentException>(() => BatchStatsInstruments.Create(stats, meter, [new("", "x")])).ParamName);
        Assert.Equal("tags", Assert.Throws<ArgumentException>(() => BatchStatsInstruments.Create(stats, meter, [new(null!, "x")])).ParamName);
        Assert.Equal("tags", Assert.Throws<ArgumentException>(() => BatchStatsInstruments.Create(stats, meter, [new("model", "a"), new("model", "b")])).ParamName);

        BatchStatsInstruments first = BatchStatsInstruments.Create(stats, meter, [new("model", "a"), new("pool", 2)]);
        ArgumentException again = Assert.Throws<ArgumentException>(() => BatchStatsInstruments.Create(stats, meter, [new("pool", 2), new("model", "a")]));
        Assert.Contains("the tags model=a,pool=2:", again.Message, StringComparison.Ordinal);
        using BatchStatsInstruments other = BatchStatsInstruments.Create(stats, meter, [new("model", "a"), new("pool", 3)]); // one value differs: another set
        first.Dispose();
        using BatchStatsInstruments reordered = BatchStatsInstruments.Create(stats, meter, [new("pool", 2), new("model", "a")]); // freed by Dispose
        first.Dispose(); // again: does not free the set, now reordered's
        Assert.Throws<ArgumentException>(() => BatchStatsInstruments.Create(stats, meter, [new("model", "a"), new("pool", 2)]));
        Assert.Throws<ArgumentException>(() => BatchStatsInstruments.Create(stats, meter, [new("pool", 3), new("model", "a")])); // "other" still holds its set
        Assert.Equal(23, reordered.Instruments.Count);

        CultureInfo culture = CultureInfo.CurrentCulture;
        try
        {
            var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone(); // the tests run with invariant globalization: no de-DE
            comma.NumberFormat.NumberDecimalSeparator = ","; // writes 0.5 as "0,5"
            CultureInfo.CurrentCulture = comma;
            using BatchStatsInstruments half = BatchStatsInstruments.Create(stats, meter, [new("share", 0.5)]);
            Assert.Contains("the tags share=0.5:", Assert.Throws<ArgumentException>(() => BatchStatsInstruments.Create(stats, meter, [new("share", 0.5)])).Message, StringComparison.Ordinal);
        }
        finally
        {
            CultureInfo.CurrentCulture = culture;
        }
    }

    /// <summary>A tracker whose snapshots come from a script (and count its calls); records nothing.</summary>
    private sealed class ScriptedStats(Func<BatchStatsSnapshot> snapshot) : IBatchStats
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public void Update(double processingTime, int batchSize, double queueTime, double latency = 0, int queueLength = 0) => throw new NotSupportedException();

        public void Update(in BatchSample sample) => throw new NotSupportedException();

        public void UpdateMany(ReadOnlySpan<BatchSample> samples) => throw new NotSupportedException();

        public void RecordError(int count = 1) => throw new NotSupportedException();

        public BatchStatsSnapshot GetStats()
        {
            Interlocked.Increment(ref _calls);
            return snapshot();
        }
    }

    private sealed class CountingStats(LockFreeBatchStats inner) : IBatchStats
    {
        public LockFreeBatchStats Inner { get; } = inner;

        public int Calls { get; set; }

        public void Update(double processingTime, int batchSize, double queueTime, double latency = 0, int queueLength = 0) =>
            Inner.Update(processingTime, batchSize, queueTime, latency, queueLength);

        public void Update(in BatchSample sample) => Inner.Update(sample);

        public void UpdateMany(ReadOnlySpan<BatchSample> samples) => Inner.UpdateMany(samples);

        public void RecordError(int count = 1) => Inner.RecordError(count);

        public BatchStatsSnapshot GetStats()
        {
            Calls++;
            return Inner.GetStats();
        }
    }
}
