using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BatchStats.Fast.Demo;

/// <summary>
/// The demo: a client of BatchStats.Fast.Hosting (AddBatchStats + MapBatchStats at the root: /, /stats, /metrics),
/// the simulation recording into the hosted tracker, on 127.0.0.1; startable in-process (tests do).
/// </summary>
public sealed class DemoHost : IAsyncDisposable
{
    /// <summary>The demo's tracker name (its key, meter tag and <c>tracker</c> label).</summary>
    public const string TrackerName = "demo";

    private readonly CancellationTokenSource _stop = new();
    private readonly WebApplication _app;
    private readonly Task _simulation;

    private DemoHost(DemoOptions options, WebApplication app, Uri address)
    {
        Options = options;
        _app = app;
        Stats = app.Services.GetRequiredKeyedService<LockFreeBatchStats>(TrackerName);
        Monitor = app.Services.GetRequiredKeyedService<BatchStatsMonitor>(TrackerName);
        Address = address;
        _simulation = new Simulation(options, Stats).RunAsync(_stop.Token);
    }

    /// <summary>The meter the demo's instruments are on (tagged <c>batchstats.tracker=demo</c>).</summary>
    public const string MeterName = "BatchStats.Fast";

    public DemoOptions Options { get; }

    public LockFreeBatchStats Stats { get; }

    public BatchStatsMonitor Monitor { get; }

    /// <summary>Where the HTTP server listens, e.g. http://127.0.0.1:5080/.</summary>
    public Uri Address { get; }

    public static async Task<DemoHost> StartAsync(DemoOptions options, ILoggerFactory? loggerFactory = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (loggerFactory is not null)
        {
            builder.Services.AddSingleton(loggerFactory);
        }

        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.Port));
        builder.Configuration[$"BatchStats:{TrackerName}:Items"] = "requests"; // what the page's units say
        builder.Services.AddBatchStats(TrackerName, o =>
        {
            o.WindowSize = 5000;
            o.MaxSampleAge = TimeSpan.FromSeconds(5); // the figures follow the load within seconds (the spike, the recovery)
            o.CacheValidTime = TimeSpan.FromMilliseconds(200);
        });
        builder.Services.Configure<AlertThresholds>(TrackerName, t =>
        {
            t.MaxProcessingTime = 0.024; // crossed near the peaks of the simulated load, cleared in the troughs
            t.MinThroughput = 200;
            t.MaxErrorRate = 0.002;
            t.MaxQueueLength = 512;
            t.MaxP99Latency = 0.250;
        });
        WebApplication app = builder.Build();
        app.MapBatchStats(string.Empty);
        await app.StartAsync().ConfigureAwait(false);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DemoHost(options, app, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    /// <summary>One frame of the console view.</summary>
    public string ConsoleFrame()
    {
        BatchStatsAnalysis a = Stats.GetComprehensiveStats();
        BatchStatsSnapshot s = a.Snapshot;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"BatchStats.Fast demo — {Options.Workers} workers — {Address}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  throughput  {s.Throughput,10:F0} items/s   peak {s.PeakThroughput:F0}   batches {s.BatchCount:N0}   items {s.TotalProcessed:N0}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  processing  p50 {s.MedianProcessingTime * 1000,7:F2} ms   p95 {s.P95ProcessingTime * 1000,7:F2} ms   p99 {s.P99ProcessingTime * 1000,7:F2} ms");
        text.AppendLine(CultureInfo.InvariantCulture, $"  latency     p50 {s.MedianLatency * 1000,7:F2} ms   p95 {s.P95Latency * 1000,7:F2} ms   p99 {s.P99Latency * 1000,7:F2} ms");
        text.AppendLine(CultureInfo.InvariantCulture, $"  queue       avg {s.AvgQueueLength,7:F1}      max {s.MaxQueueLength,7}      wait {s.AvgQueueTime * 1000,7:F2} ms");
        text.AppendLine(CultureInfo.InvariantCulture, $"  errors      {s.ErrorRate,8:P3}   trends: performance {BatchStatsAnalysis.Word(a.PerformanceTrend)}, throughput {BatchStatsAnalysis.Word(a.ThroughputTrend)}, errors {BatchStatsAnalysis.Word(a.ErrorTrend)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  utilization {a.Utilization,8:P0}   recommended workers {a.RecommendedCapacity}");
        IReadOnlyList<BatchStatsAlert> alerts = Monitor.ActiveAlerts;
        text.AppendLine(alerts.Count == 0 ? "  alerts      none" : "  alerts      " + string.Join("; ", alerts.Select(x => x.Message)));
        return text.ToString();
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _simulation.ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
