using System;
using BatchStats.Fast.Baseline;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace BatchStats.Fast.Benchmarks;

/// <summary>
/// GetStats cost at windows 1k/10k/100k with the data spread over 1 or 4 writer rings, lock-free vs locked: one
/// record then a read (the cache is stale, so the figures are recomputed: the lock-free tracker advances its kept
/// window by the one new sample), the same read merged from scratch (what any read costs when more than about
/// WindowSize / 4 samples arrived since the previous one), a cache hit; and Window / 2 records between reads (the
/// lock-free tracker falls back to the merge from scratch, which also keeps the window for later reads). Recorded values are random (a
/// pre-generated cycle), so the percentile bands see realistic movement, not a constant stream.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class ReadBenchmarks
{
    private const int ValueCycle = 4096; // a power of two
    private LockFreeBatchStats _lockFree = null!;
    private LockedBatchStats _locked = null!;
    private BatchSample[] _values = null!;
    private long _stamp;

    [Params(1_000, 10_000, 100_000)]
    public int Window { get; set; }

    [Params(1, 4)]
    public int Rings { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _lockFree = new LockFreeBatchStats(Window, 0);
        _locked = new LockedBatchStats(Window, 0);
        var random = new Random(42);
        _values = new BatchSample[ValueCycle];
        for (int i = 0; i < _values.Length; i++)
        {
            _values[i] = RandomSample(random, 0);
        }

        using var team = new ThreadTeam(Rings);
        int perRing = Window; // every ring full: the merge must select the newest Window of Rings × Window
        team.Run(id =>
        {
            var local = new Random(id);
            for (int i = 0; i < perRing; i++)
            {
                BatchSample s = RandomSample(local, ((long)i * Rings) + id + 1);
                _lockFree.Update(s);
                _locked.Update(s);
            }
        });
        _stamp = ((long)perRing * Rings) + 1;
        _lockFree.GetStats(); // the first read merges from scratch; later ones advance
    }

    [BenchmarkCategory("one record per read")]
    [Benchmark(Baseline = true, Description = "Locked: Update + GetStats (recompute)")]
    public BatchStatsSnapshot LockedRecompute()
    {
        _locked.Update(Next());
        return _locked.GetStats();
    }

    [BenchmarkCategory("one record per read")]
    [Benchmark(Description = "LockFree: Update + GetStats (recompute)")]
    public BatchStatsSnapshot LockFreeRecompute()
    {
        _lockFree.Update(Next());
        return _lockFree.GetStats();
    }

    [BenchmarkCategory("one record per read")]
    [Benchmark(Description = "LockFree: Update + merge from scratch")]
    public BatchStatsSnapshot LockFreeFromScratch()
    {
        _lockFree.Update(Next());
        return _lockFree.GetStatsFromScratch();
    }

    [BenchmarkCategory("one record per read")]
    [Benchmark(Description = "LockFree: GetStats cache hit")]
    public BatchStatsSnapshot LockFreeCacheHit() => _lockFree.GetStats();

    /// <summary>Window / 2 records between reads: more than the incremental reader takes, so it merges from scratch (and keeps that window).</summary>
    [BenchmarkCategory("window/2 records per read")]
    [Benchmark(Baseline = true, Description = "Locked: Window/2 x Update + GetStats")]
    public BatchStatsSnapshot LockedBurst()
    {
        for (int i = 0; i < Window / 2; i++)
        {
            _locked.Update(Next());
        }

        return _locked.GetStats();
    }

    [BenchmarkCategory("window/2 records per read")]
    [Benchmark(Description = "LockFree: Window/2 x Update + GetStats")]
    public BatchStatsSnapshot LockFreeBurst()
    {
        for (int i = 0; i < Window / 2; i++)
        {
            _lockFree.Update(Next());
        }

        return _lockFree.GetStats();
    }

    private static BatchSample RandomSample(Random random, long stamp) =>
        new(random.NextDouble() * 0.05, random.Next(1, 64), random.NextDouble() * 0.01, random.NextDouble() * 0.06, random.Next(0, 32), stamp);

    private BatchSample Next()
    {
        long stamp = ++_stamp;
        return _values[stamp & (ValueCycle - 1)] with { Timestamp = stamp };
    }
}
