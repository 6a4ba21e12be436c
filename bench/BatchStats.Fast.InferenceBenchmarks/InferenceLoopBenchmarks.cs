using System;
using System.Diagnostics;
using BatchStats.Fast.Demo;
using BenchmarkDotNet.Attributes;

namespace BatchStats.Fast.Benchmarks;

/// <summary>
/// The demo's worker loop over the committed model (samples/InferenceServer/model/mlp.onnx, one shared session, one
/// intra-op thread), with and without statistics: batches of 1, 8 and 64 on one and two worker threads. One operation
/// is one batch on every thread at once (with two threads, two batches in parallel).
/// </summary>
/// <remarks>
/// Three loops, otherwise identical: <c>Run</c> only (the baseline); <c>Run</c> between two clock reads (what any
/// timing costs); and the demo's loop: the clock reads plus <see cref="BatchStatsWriter.Update(in BatchSample)"/> of
/// the batch. The third minus the first is what statistics cost per batch; the third minus the second is the record
/// call alone.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15)]
[IterationTime(250)]
public class InferenceLoopBenchmarks
{
    private const int BatchesPerThread = 32;
    private InferenceModel _model = null!;
    private ThreadTeam _team = null!;
    private ModelRunner[] _runners = null!;
    private BatchStatsWriter[] _writers = null!;
    private LockFreeBatchStats _stats = null!;

    [Params(1, 8, 64)]
    public int BatchSize { get; set; }

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _model = InferenceModel.Load(InferenceModel.DefaultPath);
        _stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 20_000 });
        _team = new ThreadTeam(Threads);
        _runners = new ModelRunner[Threads];
        _writers = new BatchStatsWriter[Threads];
        _team.Run(id =>
        {
            _runners[id] = Runners.Filled(_model, BatchSize, seed: id);
            _writers[id] = _stats.CreateWriter(); // on its worker thread, as a writer must be
        });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _team.Dispose();
        foreach (ModelRunner runner in _runners)
        {
            runner.Dispose();
        }

        _model.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = BatchesPerThread, Description = "Run only")]
    public void RunOnly() => _team.Run(id =>
    {
        ModelRunner runner = _runners[id];
        for (int i = 0; i < BatchesPerThread; i++)
        {
            runner.Run(BatchSize);
        }
    });

    [Benchmark(OperationsPerInvoke = BatchesPerThread, Description = "Run + 2 clock reads")]
    public void RunTimed() => _team.Run(id =>
    {
        ModelRunner runner = _runners[id];
        long total = 0;
        for (int i = 0; i < BatchesPerThread; i++)
        {
            long start = Stopwatch.GetTimestamp();
            runner.Run(BatchSize);
            total += Stopwatch.GetTimestamp() - start;
        }

        GC.KeepAlive(total);
    });

    [Benchmark(OperationsPerInvoke = BatchesPerThread, Description = "Run + 2 clock reads + writer.Update")]
    public void RunTimedAndRecorded() => _team.Run(id =>
    {
        ModelRunner runner = _runners[id];
        BatchStatsWriter writer = _writers[id];
        for (int i = 0; i < BatchesPerThread; i++)
        {
            long start = Stopwatch.GetTimestamp();
            runner.Run(BatchSize);
            long done = Stopwatch.GetTimestamp();
            writer.Update(new BatchSample((double)(done - start) / Stopwatch.Frequency, BatchSize, 0.001, 0.002 + ((double)(done - start) / Stopwatch.Frequency), 3, done));
        }
    });
}
