using System;
using BatchStats.Fast.Baseline;
using BenchmarkDotNet.Attributes;

namespace BatchStats.Fast.Benchmarks;

/// <summary>
/// GetStats cost: a full recompute (one record first, so the cache is stale) at windows 1k/10k/100k with the data
/// spread over 1 or 4 writer rings, lock-free vs locked; and the cost of a cache hit.
/// </summary>
[MemoryDiagnoser]
public class ReadBenchmarks
{
    private LockFreeBatchStats _lockFree = null!;
    private LockedBatchStats _locked = null!;
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
        using var team = new ThreadTeam(Rings);
        int perRing = Window; // every ring full: the merge must select the newest Window of Rings × Window
        team.Run(id =>
        {
            var local = new Random(id);
            for (int i = 0; i < perRing; i++)
            {
                var s = new BatchSample(local.NextDouble() * 0.05, local.Next(1, 64), local.NextDouble() * 0.01, local.NextDouble() * 0.06, local.Next(0, 32), ((long)i * Rings) + id + 1);
                _lockFree.Update(s);
                _locked.Update(s);
            }
        });
        _stamp = ((long)perRing * Rings) + 1;
    }

    [Benchmark(Baseline = true, Description = "Locked: Update + GetStats (recompute)")]
    public BatchStatsSnapshot LockedRecompute()
    {
        _locked.Update(new BatchSample(0.01, 8, 0.001, 0.02, 3, ++_stamp));
        return _locked.GetStats();
    }

    [Benchmark(Description = "LockFree: Update + GetStats (recompute)")]
    public BatchStatsSnapshot LockFreeRecompute()
    {
        _lockFree.Update(new BatchSample(0.01, 8, 0.001, 0.02, 3, ++_stamp));
        return _lockFree.GetStats();
    }

    [Benchmark(Description = "LockFree: GetStats cache hit")]
    public BatchStatsSnapshot LockFreeCacheHit() => _lockFree.GetStats();
}
