using BatchStats.Fast.Demo;
using BenchmarkDotNet.Attributes;

namespace BatchStats.Fast.Benchmarks;

/// <summary>
/// Why the demo's workers share one <c>InferenceSession</c>: two worker threads running batches of the committed model
/// through one shared session against one session each (same model loaded twice). One operation is one batch on each
/// thread at once.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15)]
[IterationTime(250)]
public class SessionSharingBenchmarks
{
    private const int BatchesPerThread = 32;
    private const int Threads = 2;
    private InferenceModel[] _models = null!;
    private ThreadTeam _team = null!;
    private ModelRunner[] _shared = null!;
    private ModelRunner[] _own = null!;

    [Params(1, 64)]
    public int BatchSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _models = [InferenceModel.Load(InferenceModel.DefaultPath), InferenceModel.Load(InferenceModel.DefaultPath), InferenceModel.Load(InferenceModel.DefaultPath)];
        _team = new ThreadTeam(Threads);
        _shared = new ModelRunner[Threads];
        _own = new ModelRunner[Threads];
        for (int id = 0; id < Threads; id++)
        {
            _shared[id] = Runners.Filled(_models[0], BatchSize, seed: id);
            _own[id] = Runners.Filled(_models[id + 1], BatchSize, seed: id);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _team.Dispose();
        foreach (ModelRunner runner in _shared)
        {
            runner.Dispose();
        }

        foreach (ModelRunner runner in _own)
        {
            runner.Dispose();
        }

        foreach (InferenceModel model in _models)
        {
            model.Dispose();
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = BatchesPerThread, Description = "one shared session")]
    public void Shared() => Loop(_shared);

    [Benchmark(OperationsPerInvoke = BatchesPerThread, Description = "one session per worker")]
    public void PerWorker() => Loop(_own);

    private void Loop(ModelRunner[] runners) => _team.Run(id =>
    {
        ModelRunner runner = runners[id];
        for (int i = 0; i < BatchesPerThread; i++)
        {
            runner.Run(BatchSize);
        }
    });
}
