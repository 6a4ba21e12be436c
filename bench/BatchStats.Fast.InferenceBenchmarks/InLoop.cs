using System;
using System.Diagnostics;
using System.Globalization;
using BatchStats.Fast.Demo;

namespace BatchStats.Fast.Benchmarks;

/// <summary>
/// <c>--in-loop</c>: the record call's cost inside the worker loop, timed per batch the way the demo's summary line
/// times it (<see cref="RecordingOverhead"/>): after each <c>Run</c>, clock reads t0, t1, the record call, t2; the
/// call costs (t2 - t1) - (t1 - t0). Samples longer than 10 µs (a preemption) are left out. For batches of 1, 8 and
/// 64 on one and two threads: the mean <c>Run</c>, the mean record call, its share, and, for comparison, the same
/// call timed in a loop without <c>Run</c> (warm caches). A BenchmarkDotNet comparison of whole loops
/// (<see cref="InferenceLoopBenchmarks"/>) cannot resolve a difference this small against the run-to-run noise of
/// <c>Run</c> on a shared machine; this measures the call itself, in place.
/// </summary>
internal static class InLoop
{
    public static void Print(int batches)
    {
        using InferenceModel model = InferenceModel.Load(InferenceModel.DefaultPath);
        Console.WriteLine($"record call inside the loop: {batches:N0} batches per thread and case, BatchStatsWriter.Update(in sample), caller-stamped");
        Console.WriteLine();
        Console.WriteLine("| batch | threads | mean Run | record call after Run | share of Run | record call, warm (no Run) | left out |");
        Console.WriteLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (int batch in new[] { 1, 8, 64 })
        {
            foreach (int threads in new[] { 1, 2 })
            {
                Case(model, batch, threads, batches);
            }
        }
    }

    private static void Case(InferenceModel model, int batch, int threads, int batches)
    {
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 20_000 });
        var results = new (RecordingOverhead InLoop, RecordingOverhead Warm)[threads];
        using var team = new ThreadTeam(threads);
        team.Run(id =>
        {
            using ModelRunner runner = Runners.Filled(model, batch, id);
            BatchStatsWriter writer = stats.CreateWriter();
            var inLoop = new RecordingOverhead();
            var warm = new RecordingOverhead();
            for (int i = 0; i < batches / 10; i++)
            {
                runner.Run(batch); // warm-up: JIT, ONNX Runtime's arena
            }

            for (int i = 0; i < batches; i++)
            {
                long start = Stopwatch.GetTimestamp();
                runner.Run(batch);
                long done = Stopwatch.GetTimestamp();
                inLoop.AddRun(done - start);
                warm.AddRun(done - start);
                var sample = new BatchSample((double)(done - start) / Stopwatch.Frequency, batch, 0.001, 0.002, 3, done);
                long t0 = Stopwatch.GetTimestamp();
                long t1 = Stopwatch.GetTimestamp();
                writer.Update(sample);
                long t2 = Stopwatch.GetTimestamp();
                inLoop.AddRecordCalls(t1 - t0, t2 - t1);
            }

            for (int i = 0; i < batches; i++)
            {
                var sample = new BatchSample(0.0002, batch, 0.001, 0.002, 3, Stopwatch.GetTimestamp());
                long t0 = Stopwatch.GetTimestamp();
                long t1 = Stopwatch.GetTimestamp();
                writer.Update(sample);
                long t2 = Stopwatch.GetTimestamp();
                warm.AddRecordCalls(t1 - t0, t2 - t1);
            }

            results[id] = (inLoop, warm);
        });

        (double ns, double share, long samples) = RecordingOverhead.Combine(Array.ConvertAll(results, r => r.InLoop));
        (double warmNs, _, _) = RecordingOverhead.Combine(Array.ConvertAll(results, r => r.Warm));
        double runUs = ns / share / 1000;
        long leftOut = (long)threads * batches - samples;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {batch} | {threads} | {runUs:F1} µs | {ns:F1} ns | {share * 100:F3} % | {warmNs:F1} ns | {leftOut} |"));
    }
}
