using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BatchStats.Fast.Demo;

/// <summary>The demo: simulation + monitor + HTTP endpoints on 127.0.0.1, startable in-process (tests do).</summary>
public sealed class DemoHost : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly WebApplication _app;
    private readonly Task _simulation;
    private readonly Task _monitoring;
    private readonly System.Diagnostics.Metrics.Meter _meter = new(MeterName);
    private readonly BatchStatsInstruments _instruments;

    private DemoHost(DemoOptions options, WebApplication app, LockFreeBatchStats stats, BatchStatsMonitor monitor, Uri address)
    {
        Options = options;
        _app = app;
        Stats = stats;
        Monitor = monitor;
        Address = address;
        _instruments = BatchStatsInstruments.Create(stats, _meter); // dotnet-counters monitor --counters BatchStats.Fast.Demo
        _simulation = new Simulation(options, stats).RunAsync(_stop.Token);
        _monitoring = monitor.RunAsync(_stop.Token);
    }

    /// <summary>The meter the demo publishes its instruments on.</summary>
    public const string MeterName = "BatchStats.Fast.Demo";

    public DemoOptions Options { get; }

    public LockFreeBatchStats Stats { get; }

    public BatchStatsMonitor Monitor { get; }

    /// <summary>Where the HTTP server listens, e.g. http://127.0.0.1:5080/.</summary>
    public Uri Address { get; }

    public static async Task<DemoHost> StartAsync(DemoOptions options, ILoggerFactory? loggerFactory = null)
    {
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 5000, CacheValidTime = TimeSpan.FromMilliseconds(200) });
        ILogger logger = (loggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("alerts");
        var monitor = new BatchStatsMonitor(stats, new AlertThresholds
        {
            MaxProcessingTime = 0.024, // crossed near the peaks of the simulated load, cleared in the troughs
            MinThroughput = 200,
            MaxErrorRate = 0.002,
            MaxQueueLength = 512,
            MaxP99Latency = 0.250,
        }, TimeSpan.FromSeconds(1), logger: logger);

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, options.Port));
        WebApplication app = builder.Build();
        app.MapGet("/", () => Results.Content(BatchStats.Fast.Hosting.BatchStatsDashboardPage.Html, "text/html; charset=utf-8"));
        app.MapGet("/metrics", (HttpRequest request) => Metrics(stats, request));
        app.MapGet("/stats", () => Results.Text(StatsJson(stats, monitor), "application/json"));
        await app.StartAsync().ConfigureAwait(false);
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new DemoHost(options, app, stats, monitor, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    /// <summary>
    /// /metrics: the delimited protobuf exposition (native histograms) when the scraper asks for it, else text;
    /// <c>?format=text</c> forces text (a scrape job that wants the classic buckets only).
    /// </summary>
    private static IResult Metrics(LockFreeBatchStats stats, HttpRequest request)
    {
        if (BatchStatsPrometheus.AcceptsProtobuf(request.Headers.Accept) && request.Query["format"] != "text")
        {
            using var buffer = new MemoryStream();
            BatchStatsPrometheus.WriteProtobuf(buffer, stats);
            return Results.Bytes(buffer.ToArray(), BatchStatsPrometheus.ProtobufContentType);
        }

        using var text = new StringWriter(CultureInfo.InvariantCulture);
        BatchStatsPrometheus.Write(text, stats);
        return Results.Text(text.ToString(), BatchStatsPrometheus.TextContentType);
    }

    /// <summary>The /stats document: timestamp, the snapshot, the analysis and the active alerts.</summary>
    public static string StatsJson(LockFreeBatchStats stats, BatchStatsMonitor monitor)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("timestamp", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0);
            BatchStatsAnalysis analysis = stats.GetComprehensiveStats(); // its snapshot: both parts describe one window
            json.WritePropertyName("stats");
            json.WriteRawValue(BatchStatsJson.Serialize(analysis.Snapshot));
            json.WritePropertyName("analysis");
            json.WriteRawValue(BatchStatsJson.Serialize(analysis));
            json.WriteStartArray("alerts");
            foreach (BatchStatsAlert a in monitor.ActiveAlerts)
            {
                json.WriteStartObject();
                json.WriteString("name", a.Name);
                json.WriteString("severity", a.Severity == AlertSeverity.Critical ? "critical" : "warning");
                json.WriteString("message", a.Message);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
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
        await Task.WhenAll(_simulation, _monitoring).ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        Monitor.Dispose();
        _instruments.Dispose();
        _meter.Dispose();
        _stop.Dispose();
    }
}
