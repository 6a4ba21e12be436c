// A small simulated inference server: worker threads take batches, "process" them with a varying load
// (a sine over time plus noise and occasional slow batches), record every batch with caller-supplied
// timestamps, and a monitor loop prints the rolling statistics. Runs for --duration seconds (default 5).
using System;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Threading;
using BatchStats.Fast;

int workers = ArgInt("--workers", 4);
double duration = ArgInt("--duration", 5);
if (args.Contains("--help"))
{
    Console.WriteLine("usage: InferenceServer [--workers N] [--duration SECONDS]");
    return 0;
}

var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 2000, CacheValidTime = TimeSpan.FromMilliseconds(250) });
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(duration));
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
long start = Stopwatch.GetTimestamp();
int queueLength = 0;

var threads = Enumerable.Range(0, workers).Select(id => new Thread(() => Worker(id)) { IsBackground = true, Name = $"worker-{id}" }).ToList();
threads.ForEach(t => t.Start());
while (!stop.IsCancellationRequested)
{
    stop.Token.WaitHandle.WaitOne(1000);
    Print(stats.GetStats());
}

threads.ForEach(t => t.Join());
Console.WriteLine();
Console.WriteLine("final:");
foreach ((string key, double value) in stats.GetStats().ToDictionary())
{
    Console.WriteLine($"  {key,-24} {value.ToString("G6", CultureInfo.InvariantCulture)}");
}

return 0;

void Worker(int id)
{
    var rng = new Random(id);
    while (!stop.IsCancellationRequested)
    {
        int batch = rng.Next(1, 33);
        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        double load = 1 + (0.5 * Math.Sin(elapsed)) + (0.2 * rng.NextDouble());
        double processing = 0.0005 * batch * load * (rng.NextDouble() < 0.02 ? 5 : 1);
        double queueTime = 0.0002 * rng.NextDouble() * Volatile.Read(ref queueLength);
        int observedQueue = Interlocked.Increment(ref queueLength) % 64;
        Thread.Sleep(TimeSpan.FromSeconds(processing));
        if (rng.NextDouble() < 0.01)
        {
            stats.RecordError();
        }

        stats.Update(new BatchSample(processing, batch, queueTime, processing + queueTime, observedQueue, Stopwatch.GetTimestamp()));
        Interlocked.Decrement(ref queueLength);
    }
}

static void Print(BatchStatsSnapshot s) => Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"batches {s.BatchCount,7}  throughput {s.Throughput,8:F1}/s  p50 {s.MedianProcessingTime * 1000,6:F2} ms  p95 {s.P95ProcessingTime * 1000,6:F2} ms  p99 {s.P99ProcessingTime * 1000,6:F2} ms  errors {s.ErrorRate:P2}"));

int ArgInt(string name, int fallback)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out int v) ? v : fallback;
}
