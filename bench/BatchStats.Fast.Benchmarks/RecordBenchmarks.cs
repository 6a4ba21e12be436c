using System;
using BatchStats.Fast.Baseline;
using BenchmarkDotNet.Attributes;

namespace BatchStats.Fast.Benchmarks;

/// <summary>
/// Aggregate cost per record with 1, 2 and 8 writer threads (8 oversubscribes a 2-core machine). Each invocation
/// records <see cref="TotalRecords"/> samples split evenly across the threads, so Mean is wall time per record for
/// the whole team: when 2 threads scale, Mean halves.
/// </summary>
[MemoryDiagnoser]
public class RecordBenchmarks
{
    public const int TotalRecords = 1 << 20;

    private ThreadTeam _team = null!;
    private LockFreeBatchStats _lockFree = null!;
    private LockedBatchStats _locked = null!;
    private Action<int> _floor = null!, _callerStamped = null!, _selfStamped = null!, _updateMany = null!, _lockedUpdate = null!;

    [Params(1, 2, 8)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _team = new ThreadTeam(Threads);
        _lockFree = new LockFreeBatchStats(1000, 1.0);
        _locked = new LockedBatchStats(1000, 1.0);
        int perThread = TotalRecords / Threads;
        var floorRings = new FloorRing[Threads];
        for (int i = 0; i < Threads; i++)
        {
            floorRings[i] = new FloorRing(2048);
        }

        _floor = id =>
        {
            FloorRing ring = floorRings[id];
            for (int i = 0; i < perThread; i++)
            {
                ring.Store(new BatchSample(0.001 * (i & 15), i & 31, 0.0001, 0.002, i & 7, i + 1));
            }
        };
        _callerStamped = id =>
        {
            for (int i = 0; i < perThread; i++)
            {
                _lockFree.Update(new BatchSample(0.001 * (i & 15), i & 31, 0.0001, 0.002, i & 7, i + 1));
            }
        };
        _selfStamped = id =>
        {
            for (int i = 0; i < perThread; i++)
            {
                _lockFree.Update(0.001 * (i & 15), i & 31, 0.0001, 0.002, i & 7);
            }
        };
        _updateMany = id =>
        {
            Span<BatchSample> batch = stackalloc BatchSample[16];
            for (int i = 0; i < perThread; i += batch.Length)
            {
                for (int j = 0; j < batch.Length; j++)
                {
                    batch[j] = new BatchSample(0.001 * (j & 15), j + 1, 0.0001, 0.002, j & 7, i + j + 1);
                }

                _lockFree.UpdateMany(batch);
            }
        };
        _lockedUpdate = id =>
        {
            for (int i = 0; i < perThread; i++)
            {
                _locked.Update(new BatchSample(0.001 * (i & 15), i & 31, 0.0001, 0.002, i & 7, i + 1));
            }
        };
        _team.Run(_callerStamped); // register every writer's ring before measuring
    }

    [GlobalCleanup]
    public void Cleanup() => _team.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = TotalRecords, Description = "floor: store into own ring")]
    public void Floor() => _team.Run(_floor);

    [Benchmark(OperationsPerInvoke = TotalRecords, Description = "LockFree Update(in sample), caller-stamped")]
    public void CallerStamped() => _team.Run(_callerStamped);

    [Benchmark(OperationsPerInvoke = TotalRecords, Description = "LockFree Update(...), self-stamped")]
    public void SelfStamped() => _team.Run(_selfStamped);

    [Benchmark(OperationsPerInvoke = TotalRecords, Description = "LockFree UpdateMany(16), per sample")]
    public void UpdateMany() => _team.Run(_updateMany);

    [Benchmark(OperationsPerInvoke = TotalRecords, Description = "Locked baseline Update")]
    public void Locked() => _team.Run(_lockedUpdate);

    /// <summary>The physical floor: a thread storing a sample into a ring it already holds.</summary>
    private sealed class FloorRing(int capacity)
    {
        private readonly BatchSample[] _slots = new BatchSample[capacity];
        private long _head;

        public void Store(in BatchSample sample)
        {
            _slots[(int)(_head & (_slots.Length - 1))] = sample;
            _head++;
        }
    }
}
