using System;
using System.Diagnostics;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Xunit;

namespace BatchStats.Fast.Demo.Tests;

/// <summary>
/// Real inferences through the demo host: what the tracker recorded equals what the workers served and rejected,
/// and every request generated is accounted for once the queue has drained.
/// </summary>
public sealed class DemoInferenceTests
{
    [Fact]
    public async Task DemoHost_HundredsOfRealInferences_RecordedCountsEqualRequestsServed()
    {
        var options = new DemoOptions { Port = 0, Workers = 2, ArrivalRate = 3000, BadShare = 0.02, MaxBatch = 8 };
        await using DemoHost host = await DemoHost.StartAsync(options);
        var waited = Stopwatch.StartNew();
        while (host.Served < 600 && waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(50);
        }

        await host.StopLoadAsync(TimeSpan.FromMinutes(1)); // stop generating; serve everything queued
        Assert.InRange(host.Served, 600, long.MaxValue);
        Assert.Equal(0, host.Queue.Count);
        Assert.Equal(host.Generated, host.Served + host.Rejected); // every request served or rejected, none lost
        Assert.InRange(host.Rejected, 1, host.Generated / 10); // ~2 % malformed

        host.Stats.InvalidateCache();
        BatchStatsSnapshot s = host.Stats.GetStats();
        Assert.Equal(host.Served, s.TotalProcessed);
        Assert.Equal(host.Rejected, s.TotalErrors);
        BatchStatsHistograms h = host.Stats.GetHistograms();
        Assert.Equal(s.BatchCount, h.ProcessingTime.Count); // one Update per batch with a valid request
        Assert.InRange(s.MaxBatchSize, 1, options.MaxBatch);
        Assert.True(s.MinProcessingTime > 0, "every batch ran the model");
        Assert.True(s.AvgLatency >= s.AvgQueueTime + s.AvgProcessingTime - 1e-9, "latency covers the queue wait and the Run call");

        (double ns, double share, long samples) = host.Overhead;
        Assert.InRange(samples, 1, s.BatchCount + 1_000); // every 17th batch, an error-only batch included
        Assert.True(double.IsFinite(ns) && double.IsFinite(share));
        Assert.Matches(new Regex(@"^stats overhead: -?\d+\.\d ns per batch \(-?\d+\.\d{3}% of mean inference time\)$"), host.OverheadLine);
        Assert.Matches(new Regex(@"^  overhead sample: [\d,]+ batches' record calls timed \(every 17th\), [\d,]+ interrupted ones left out$"), host.OverheadDetail);
    }

    /// <summary>
    /// A stop that does not wait leaves the backlog: the workers check the abandon token at every batch, not only when
    /// the queue is empty (before, they served the whole backlog first, which took minutes at a rate far above capacity).
    /// </summary>
    [Fact]
    public async Task DemoHost_StopWithoutDrain_LeavesTheBacklog()
    {
        var options = new DemoOptions { Port = 0, Workers = 1, ArrivalRate = 10_000_000, BadShare = 0, MaxBatch = 4 };
        await using DemoHost host = await DemoHost.StartAsync(options);
        var waited = Stopwatch.StartNew();
        while (host.Queue.Count < 200_000 && waited.Elapsed < TimeSpan.FromSeconds(60))
        {
            await Task.Delay(20);
        }

        await host.StopLoadAsync(TimeSpan.Zero);
        Assert.InRange(host.Queue.Count, 100_000, int.MaxValue); // abandoned, not served: a worker serves about 100,000 a second here
        Assert.Equal(host.Generated, host.Served + host.Rejected + host.Queue.Count);
    }

    /// <summary>
    /// At a full backlog arrivals are shed and counted, not queued; and a rate the thread cannot keep up with (the
    /// inner loop never catches up with the clock) still stops when asked.
    /// </summary>
    [Fact]
    public async Task LoadGenerator_FullBacklog_ShedsArrivals_AndAnUnreachableRateStillStops()
    {
        int backlog = int.MaxValue;
        var queue = System.Threading.Channels.Channel.CreateUnbounded<Request>();
        var generator = new LoadGenerator(queue.Writer, () => System.Threading.Volatile.Read(ref backlog), 4, 1e300, 0);
        Assert.Equal(10_000_000, generator.MaxBacklog);
        generator.Start();
        var waited = Stopwatch.StartNew();
        while (generator.Shed < 1_000 && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(10);
        }

        Assert.InRange(generator.Shed, 1_000, long.MaxValue);
        Assert.Equal(0, generator.Generated);
        Assert.False(queue.Reader.TryRead(out _));
        await Task.Run(generator.Stop).WaitAsync(TimeSpan.FromSeconds(30)); // before: Stop waited forever on the inner loop

        Assert.Equal(100_000, new LoadGenerator(queue.Writer, () => 0, 4, 3_000, 0).MaxBacklog); // 10 s of the rate, at least 100,000
        Assert.Equal(500_000, new LoadGenerator(queue.Writer, () => 0, 4, 50_000, 0).MaxBacklog);
    }

    /// <summary>Below the limit arrivals are queued and none is shed.</summary>
    [Fact]
    public async Task LoadGenerator_BacklogBelowTheLimit_QueuesEveryArrival()
    {
        var queue = System.Threading.Channels.Channel.CreateUnbounded<Request>();
        var generator = new LoadGenerator(queue.Writer, () => queue.Reader.Count, 4, 20_000, 0);
        generator.Start();
        var waited = Stopwatch.StartNew();
        while (generator.Generated < 500 && waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(10);
        }

        generator.Stop();
        Assert.InRange(generator.Generated, 500, long.MaxValue);
        Assert.Equal(0, generator.Shed);
        Assert.Equal(generator.Generated, queue.Reader.Count);
    }

    [Fact]
    public void LoadProfile_SpikeFromSecondEightToTwelve()
    {
        Assert.Equal(1000, LoadGenerator.RateAt(1000, 0), 6);
        Assert.Equal(1000 * 1.15, LoadGenerator.RateAt(1000, 5), 6); // the swing's top
        Assert.Equal(3.5 * 1000 * (1 + (0.15 * Math.Sin(2 * Math.PI * 8 / 20))), LoadGenerator.RateAt(1000, 8), 6);
        Assert.Equal(1000 * (1 + (0.15 * Math.Sin(2 * Math.PI * 12 / 20))), LoadGenerator.RateAt(1000, 12), 6);
        Assert.Equal(3.5 * 1000 * (1 + (0.15 * Math.Sin(2 * Math.PI * 39 / 20))), LoadGenerator.RateAt(1000, 39), 6); // every 30 s
    }
}
