using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;

namespace BatchStats.Fast.Demo;

/// <summary>
/// A request producer feeding a bounded channel and N workers taking dynamic batches from it. Processing cost follows
/// a varying load (a sine over time plus noise, occasional slow batches), and a small share of batches fail. Every
/// batch is recorded with caller-supplied timestamps, so queue time and queue length are real.
/// </summary>
public sealed class Simulation
{
    private readonly DemoOptions _options;
    private readonly Channel<long> _queue; // each request is its enqueue timestamp
    private readonly long _start = Stopwatch.GetTimestamp();

    public Simulation(DemoOptions options, LockFreeBatchStats stats)
    {
        _options = options;
        Stats = stats;
        _queue = Channel.CreateBounded<long>(new BoundedChannelOptions(4096) { SingleReader = false, SingleWriter = true });
    }

    public LockFreeBatchStats Stats { get; }

    /// <summary>The load factor at a moment: 1 ± 0.5 over a 20-second period.</summary>
    public double Load(double seconds) => 1 + (0.5 * Math.Sin(2 * Math.PI * seconds / 20));

    /// <summary>
    /// A load spike from second 8 to second 12 of every 30: arrivals and per-batch cost 2.5 times higher, above what the
    /// workers can serve, so queueing, latency and the alerts follow, then recover.
    /// </summary>
    public static double Spike(double seconds) => seconds % 30 is >= 8 and < 12 ? 2.5 : 1;

    public Task RunAsync(CancellationToken token)
    {
        var tasks = new List<Task> { Task.Run(() => ProduceAsync(token), CancellationToken.None) };
        tasks.AddRange(Enumerable.Range(0, _options.Workers).Select(id => Task.Run(() => WorkAsync(id, token), CancellationToken.None)));
        return Task.WhenAll(tasks);
    }

    private double Elapsed => Stopwatch.GetElapsedTime(_start).TotalSeconds;

    private async Task ProduceAsync(CancellationToken token)
    {
        var rng = new Random(42);
        double owed = 0;
        long last = Stopwatch.GetTimestamp();
        try
        {
            while (!token.IsCancellationRequested)
            {
                await Task.Delay(5, token).ConfigureAwait(false);
                long now = Stopwatch.GetTimestamp();
                // Arrivals follow the same sine as the load, with noise: busy periods queue up.
                owed += _options.ArrivalRate * Stopwatch.GetElapsedTime(last, now).TotalSeconds * Load(Elapsed) * Spike(Elapsed) * (0.8 + (0.4 * rng.NextDouble()));
                last = now;
                for (; owed >= 1; owed--)
                {
                    await _queue.Writer.WriteAsync(Stopwatch.GetTimestamp(), token).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _queue.Writer.TryComplete();
        }
    }

    private async Task WorkAsync(int id, CancellationToken token)
    {
        var rng = new Random(id);
        var batch = new List<long>(_options.MaxBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                int queueLength = _queue.Reader.Count;
                batch.Clear();
                while (batch.Count < _options.MaxBatch && _queue.Reader.TryRead(out long enqueued))
                {
                    batch.Add(enqueued);
                }

                if (batch.Count == 0)
                {
                    continue;
                }

                long taken = Stopwatch.GetTimestamp();
                double queueTime = Stopwatch.GetElapsedTime(batch[0], taken).TotalSeconds;

                // Simulated model: fixed overhead + per-item cost, scaled by the load, with noise and rare slow batches.
                double cost = (0.002 + (0.0004 * batch.Count)) * Load(Elapsed) * Spike(Elapsed) * (0.9 + (0.2 * rng.NextDouble()));
                if (rng.NextDouble() < 0.02)
                {
                    cost *= 4;
                }

                await Task.Delay(TimeSpan.FromSeconds(cost), token).ConfigureAwait(false);
                long done = Stopwatch.GetTimestamp();
                if (rng.NextDouble() < 0.01)
                {
                    Stats.RecordError(1, done);
                }

                Stats.Update(new BatchSample(
                    ProcessingTime: Stopwatch.GetElapsedTime(taken, done).TotalSeconds,
                    BatchSize: batch.Count,
                    QueueTime: queueTime,
                    Latency: Stopwatch.GetElapsedTime(batch[0], done).TotalSeconds,
                    QueueLength: queueLength,
                    Timestamp: done));
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
