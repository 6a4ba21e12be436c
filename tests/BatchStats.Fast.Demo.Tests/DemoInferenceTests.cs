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
