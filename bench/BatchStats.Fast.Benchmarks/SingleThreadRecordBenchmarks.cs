using BenchmarkDotNet.Attributes;

namespace BatchStats.Fast.Benchmarks;

/// <summary>The record path on the benchmark thread itself (no team): for the disassembly and tight loops.</summary>
[MemoryDiagnoser]
[DisassemblyDiagnoser(maxDepth: 3, exportGithubMarkdown: true)]
public class SingleThreadRecordBenchmarks
{
    private const int N = 1024;
    private readonly RecordBenchmarks.FloorRing _floor = new();
    private LockFreeBatchStats _stats = null!;
    private BatchStatsWriter? _writer;

    [GlobalSetup]
    public void Setup()
    {
        _stats = new LockFreeBatchStats(1000, 1.0);
        _stats.Update(0.1, 1, 0);
    }

    /// <summary>The physical floor: the same sample stored into a ring the thread already holds, no validation.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = N)]
    public void FloorVarying()
    {
        RecordBenchmarks.FloorRing ring = _floor;
        for (int i = 0; i < N; i++)
        {
            ring.Store(new BatchSample(0.001 * (1 + (i & 15)), i & 31, 0.0001, 0.002, i & 7, i + 1));
        }
    }

    /// <summary>The thread-bound writer handle (created on the benchmark thread on first use).</summary>
    [Benchmark(OperationsPerInvoke = N)]
    public void WriterHandleVarying()
    {
        BatchStatsWriter writer = _writer ??= _stats.CreateWriter();
        for (int i = 0; i < N; i++)
        {
            writer.Update(new BatchSample(0.001 * (1 + (i & 15)), i & 31, 0.0001, 0.002, i & 7, i + 1));
        }
    }

    [Benchmark(OperationsPerInvoke = N)]
    public void CallerStamped()
    {
        LockFreeBatchStats stats = _stats;
        for (int i = 0; i < N; i++)
        {
            stats.Update(new BatchSample(0.001, i, 0.0001, 0.002, 3, i + 1));
        }
    }

    /// <summary>The same with varying values (validation cannot be folded away), as the multi-thread suite records.</summary>
    [Benchmark(OperationsPerInvoke = N)]
    public void CallerStampedVarying()
    {
        LockFreeBatchStats stats = _stats;
        for (int i = 0; i < N; i++)
        {
            stats.Update(new BatchSample(0.001 * (1 + (i & 15)), i & 31, 0.0001, 0.002, i & 7, i + 1));
        }
    }

    [Benchmark(OperationsPerInvoke = N)]
    public void SelfStamped()
    {
        LockFreeBatchStats stats = _stats;
        for (int i = 0; i < N; i++)
        {
            stats.Update(0.001, i, 0.0001, 0.002, 3);
        }
    }
}
