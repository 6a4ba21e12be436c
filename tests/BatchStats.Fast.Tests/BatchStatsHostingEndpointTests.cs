using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>What the hosted endpoints serve, field by field, and the hosting package's argument and health-check texts.</summary>
public sealed class BatchStatsHostingEndpointTests
{
    private static readonly DateTimeOffset s_start = new(2026, 11, 30, 6, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// <c>/stats</c> of the chosen tracker: the registered clock's time, the configured item name, the snapshot, the
    /// analysis and the active alerts with name, severity and message.
    /// </summary>
    [Fact]
    public async Task Stats_ChosenTracker_AllItsParts()
    {
        var time = new FakeTimeProvider(s_start);
        await using WebApplication app = await Start(time, new()
        {
            ["BatchStats:a:Items"] = "requests",
            ["BatchStats:a:Alerts:MaxProcessingTime"] = "0.01",
            ["BatchStats:b:Alerts:MaxProcessingTime"] = "0.2",
        });
        var a = app.Services.GetRequiredKeyedService<LockFreeBatchStats>("a");
        for (int i = 1; i <= 4; i++)
        {
            a.Update(new BatchSample(0.05, 8, 0.001, 0.06, 3, i));
        }

        app.Services.GetRequiredKeyedService<LockFreeBatchStats>("b").Update(new BatchSample(0.3, 1, 0, 0.3, 0, 1));
        app.Services.GetRequiredKeyedService<BatchStatsMonitor>("a").CheckAlerts(); // what the hosted monitors' next tick would do
        app.Services.GetRequiredKeyedService<BatchStatsMonitor>("b").CheckAlerts();
        using HttpClient http = app.GetTestClient();

        using HttpResponseMessage response = await http.GetAsync("/batchstats/stats?tracker=a");
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        using JsonDocument stats = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement root = stats.RootElement;
        Assert.Equal(s_start.ToUnixTimeSeconds(), root.GetProperty("timestamp").GetDouble());
        Assert.Equal("a", root.GetProperty("tracker").GetString());
        Assert.Equal("requests", root.GetProperty("items").GetString());
        Assert.Equal(4, root.GetProperty("stats").GetProperty("batch_count").GetDouble());
        Assert.Equal(32, root.GetProperty("analysis").GetProperty("total_processed").GetDouble());
        JsonElement alert = Assert.Single(root.GetProperty("alerts").EnumerateArray());
        Assert.Equal("processing_time", alert.GetProperty("name").GetString());
        Assert.Equal("critical", alert.GetProperty("severity").GetString()); // 0.05 s is above twice the 0.01 s limit
        Assert.StartsWith("p95 processing time 0.05 s is above the threshold 0.01 s", alert.GetProperty("message").GetString(), StringComparison.Ordinal);

        using JsonDocument other = JsonDocument.Parse(await http.GetStringAsync("/batchstats/stats?tracker=b"));
        Assert.Equal("items", other.RootElement.GetProperty("items").GetString()); // not configured: the default
        Assert.Equal("warning", Assert.Single(other.RootElement.GetProperty("alerts").EnumerateArray()).GetProperty("severity").GetString()); // 0.3 s: above 0.2, not above 0.4

        await AssertNoTracker(http, "/batchstats/stats?tracker=zzz");
        await app.StopAsync();
    }

    /// <summary>
    /// The hosted sampler adds one history point per second of the registered clock; <c>/history</c> and
    /// <c>/distribution</c> serve the first tracker by default and the one <c>?tracker=</c> names.
    /// </summary>
    [Fact]
    public async Task HistoryAndDistribution_SampledOnTheClock_DefaultAndChosenTracker()
    {
        var time = new FakeTimeProvider(s_start);
        await using WebApplication app = await Start(time, []);
        var a = app.Services.GetRequiredKeyedService<LockFreeBatchStats>("a");
        var b = app.Services.GetRequiredKeyedService<LockFreeBatchStats>("b");
        a.Update(new BatchSample(0.004, 2, 0, 0.005, 7, 1));
        b.Update(new BatchSample(0.3, 1, 0, 0.3, 0, 1));
        b.RecordError();
        using HttpClient http = app.GetTestClient();
        await WaitFor(async () => (await Points(http, "")).Length == 1); // the point at start
        Assert.Equal("application/json", (await http.GetAsync("/batchstats/history")).Content.Headers.ContentType!.MediaType);
        for (int advances = 0; (await Points(http, "")).Length < 4; advances++)
        {
            Assert.True(advances < 100, "the hosted history sampler did not follow the clock");
            time.Advance(TimeSpan.FromSeconds(1)); // the sampler waits on this clock (it may register its wait just after an advance)
            await Task.Delay(20);
        }

        double[] stamps = [.. (await Points(http, "")).Select(p => p.GetProperty("t").GetDouble())];
        Assert.Equal(4, stamps.Length);
        Assert.All(stamps.Zip(stamps.Skip(1)), pair => Assert.True(pair.Second - pair.First >= 1, "one point a second of the clock")); // never two within a second

        JsonElement last = (await Points(http, "?tracker=b"))[^1];
        Assert.Equal(stamps[^1], last.GetProperty("t").GetDouble());
        Assert.Equal(0.3, last.GetProperty("p50").GetDouble());
        Assert.Equal(0.3, last.GetProperty("p95").GetDouble());
        Assert.Equal(0.3, last.GetProperty("p99").GetDouble());
        Assert.Equal(1.0, last.GetProperty("error_rate").GetDouble());
        Assert.Equal(7, (await Points(http, ""))[^1].GetProperty("queue_length").GetDouble()); // tracker a, the default
        Assert.Equal(1 / 0.004 * 2, (await Points(http, ""))[^1].GetProperty("throughput").GetDouble(), 9);

        using JsonDocument distribution = JsonDocument.Parse(await http.GetStringAsync("/batchstats/distribution"));
        JsonElement bucket = Assert.Single(distribution.RootElement.EnumerateArray());
        Assert.Equal(1, bucket.GetProperty("count").GetDouble());
        Assert.InRange(0.004, bucket.GetProperty("lower").GetDouble(), bucket.GetProperty("upper").GetDouble());
        using JsonDocument chosen = JsonDocument.Parse(await http.GetStringAsync("/batchstats/distribution?tracker=b"));
        Assert.InRange(0.3, Assert.Single(chosen.RootElement.EnumerateArray()).GetProperty("lower").GetDouble(), 1);
        await AssertNoTracker(http, "/batchstats/distribution?tracker=zzz");
        await app.StopAsync();
    }

    /// <summary>
    /// <c>/histograms</c> serves a tracker's all-time histograms in the JSON wire format: read back, they are the
    /// tracker's own exactly, and two trackers' fetched and merged equal their direct merge (a fleet merged by hand).
    /// </summary>
    [Fact]
    public async Task Histograms_WireFormat_ReadBackExactly_MergeAsTheTrackersDo()
    {
        await using WebApplication app = await Start(new FakeTimeProvider(s_start), []);
        var a = app.Services.GetRequiredKeyedService<LockFreeBatchStats>("a");
        var b = app.Services.GetRequiredKeyedService<LockFreeBatchStats>("b");
        var rng = new Random(3);
        for (int i = 1; i <= 500; i++)
        {
            a.Update(new BatchSample(rng.NextDouble() * 0.05, 4, rng.NextDouble() * 0.002, rng.NextDouble() * 0.06, 1, i));
            b.Update(new BatchSample(rng.NextDouble() * 3, 1, 0, 3.5, 0, i));
        }

        using HttpClient http = app.GetTestClient();
        using HttpResponseMessage response = await http.GetAsync("/batchstats/histograms");
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        BatchStatsHistograms fromA = BatchStatsJson.DeserializeHistograms(await response.Content.ReadAsStringAsync()); // the first tracker by default
        BatchStatsHistograms fromB = BatchStatsJson.DeserializeHistograms(await http.GetStringAsync("/batchstats/histograms?tracker=b"));
        AssertSame(a.GetHistograms(), fromA);
        AssertSame(b.GetHistograms(), fromB);
        AssertSame(BatchStatsHistograms.Merge(a.GetHistograms(), b.GetHistograms()), BatchStatsHistograms.Merge(fromA, fromB));
        Assert.Equal(1000, BatchStatsHistograms.Merge(fromA, fromB).ProcessingTime.Count);
        await AssertNoTracker(http, "/batchstats/histograms?tracker=zzz");
        await app.StopAsync();

        static void AssertSame(BatchStatsHistograms expected, BatchStatsHistograms actual)
        {
            foreach ((ExponentialHistogram e, ExponentialHistogram x) in new[] { (expected.ProcessingTime, actual.ProcessingTime), (expected.QueueTime, actual.QueueTime), (expected.Latency, actual.Latency) })
            {
                Assert.Equal((e.Scale, e.ZeroCount, e.ZeroThreshold, e.Offset, e.Count, e.Sum, e.Min, e.Max), (x.Scale, x.ZeroCount, x.ZeroThreshold, x.Offset, x.Count, x.Sum, x.Min, x.Max));
                Assert.Equal(e.Counts.ToArray(), x.Counts.ToArray());
            }
        }
    }

    /// <summary><c>?format=text</c> gives text to a scraper that would take protobuf (e.g. a person with curl and a copied header).</summary>
    [Fact]
    public async Task Metrics_FormatText_OverridesAProtobufAccept()
    {
        await using WebApplication app = await Start(new FakeTimeProvider(s_start), []);
        using HttpClient http = app.GetTestClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/batchstats/metrics?format=text");
        request.Headers.TryAddWithoutValidation("Accept", BatchStatsPrometheus.ProtobufContentType);
        using HttpResponseMessage response = await http.SendAsync(request);
        Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
        Assert.Contains("batch_batches_total{tracker=\"a\"} 0\n", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await app.StopAsync();
    }

    /// <summary>The health check's descriptions: "no active alert", else the active alerts' messages joined by "; ".</summary>
    [Fact]
    public async Task HealthCheck_Descriptions()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["BatchStats:h:CacheValidTime"] = "00:00:00",
            ["BatchStats:h:Alerts:MaxProcessingTime"] = "0.01",
            ["BatchStats:h:Alerts:MaxQueueLength"] = "10",
        }).Build());
        services.AddLogging().AddBatchStats("h").AddHealthChecks().AddBatchStats("h");
        using ServiceProvider sp = services.BuildServiceProvider();
        var health = sp.GetRequiredService<HealthCheckService>();
        HealthReportEntry healthy = (await health.CheckHealthAsync()).Entries["batchstats-h"];
        Assert.Equal("no active alert", healthy.Description);
        Assert.Equal(["batchstats"], healthy.Tags);

        sp.GetRequiredKeyedService<LockFreeBatchStats>("h").Update(new BatchSample(0.015, 1, 0, 0.015, 12, 1));
        HealthReportEntry degraded = (await health.CheckHealthAsync()).Entries["batchstats-h"];
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.Equal(2, degraded.Description!.Split("; ").Length);
        Assert.Equal(degraded.Data.Values.Cast<string>().Order(), degraded.Description.Split("; ").Order());
    }

    /// <summary>
    /// A health check of a tracker never registered (a typo): the host's start fails naming it. Before, every request
    /// to the health endpoint failed with a 500 from the check's factory.
    /// </summary>
    [Fact]
    public async Task HealthCheck_UnregisteredTracker_StopsTheStartNamingIt()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddHealthChecks().AddBatchStats("gpu").AddBatchStats("gpuu"); // before AddBatchStats: any order
        builder.Services.AddBatchStats("gpu");
        await using WebApplication app = builder.Build();
        OptionsValidationException e = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.Equal("Health check batchstats-gpuu: no BatchStats tracker named 'gpuu' is registered; call services.AddBatchStats(\"gpuu\").", Assert.Single(e.Failures));
    }

    /// <summary>Registered in either order, the check starts and reports; without a host, resolving the health service names a missing tracker.</summary>
    [Fact]
    public async Task HealthCheck_RegisteredInEitherOrder_Starts_AndWithoutAHostAMissingTrackerIsNamed()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Services.AddHealthChecks().AddBatchStats("gpu");
        builder.Services.AddBatchStats("gpu");
        await using WebApplication app = builder.Build();
        app.MapHealthChecks("/health");
        await app.StartAsync();
        Assert.Equal("Healthy", await app.GetTestClient().GetStringAsync("/health"));
        await app.StopAsync();

        var services = new ServiceCollection();
        services.AddLogging().AddBatchStats("h").AddHealthChecks().AddBatchStats("h").AddBatchStats("typo");
        using ServiceProvider sp = services.BuildServiceProvider();
        OptionsValidationException e = Assert.Throws<OptionsValidationException>(() => sp.GetRequiredService<HealthCheckService>());
        Assert.Contains("no BatchStats tracker named 'typo'", Assert.Single(e.Failures), StringComparison.Ordinal);
    }

    [Fact]
    public void Arguments_NullOrEmpty_ThrowNamingThem()
    {
        Assert.Equal("endpoints", Assert.Throws<ArgumentNullException>(() => ((IEndpointRouteBuilder)null!).MapBatchStats()).ParamName);
        WebApplication app = WebApplication.CreateSlimBuilder().Build();
        Assert.Equal("prefix", Assert.Throws<ArgumentNullException>(() => app.MapBatchStats(null!)).ParamName);
        Assert.Equal("builder", Assert.Throws<ArgumentNullException>(() => ((IHealthChecksBuilder)null!).AddBatchStats("x")).ParamName);
        IHealthChecksBuilder checks = new ServiceCollection().AddHealthChecks();
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => checks.AddBatchStats("")).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => checks.AddBatchStats(null!)).ParamName);
        ArgumentException twice = Assert.Throws<ArgumentException>(() => new ServiceCollection().AddBatchStats("x").AddBatchStats("x"));
        Assert.StartsWith("A BatchStats tracker named 'x' is already registered.", twice.Message, StringComparison.Ordinal);
    }

    private static async Task<WebApplication> Start(FakeTimeProvider time, Dictionary<string, string?> configuration)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.Services.AddSingleton<TimeProvider>(time);
        builder.Services.AddBatchStats("a", o => o.CacheValidTime = TimeSpan.Zero).AddBatchStats("b", o => o.CacheValidTime = TimeSpan.Zero);
        WebApplication app = builder.Build();
        app.MapBatchStats();
        await app.StartAsync();
        return app;
    }

    /// <summary>An unknown <c>?tracker=zzz</c>: 404 with a message naming it.</summary>
    private static async Task AssertNoTracker(HttpClient http, string path)
    {
        using HttpResponseMessage missing = await http.GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/json", missing.Content.Headers.ContentType!.MediaType);
        using JsonDocument message = JsonDocument.Parse(await missing.Content.ReadAsStringAsync());
        Assert.Equal("no BatchStats tracker named 'zzz'", message.RootElement.GetString());
    }

    private static async Task<JsonElement[]> Points(HttpClient http, string query)
    {
        using JsonDocument json = JsonDocument.Parse(await http.GetStringAsync("/batchstats/history" + query));
        return [.. json.RootElement.EnumerateArray().Select(e => e.Clone())];
    }

    /// <summary>Waits (up to 10 s of real time) for the hosted sampler, which runs on the thread pool after a clock advance.</summary>
    private static async Task WaitFor(Func<Task<bool>> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), "the hosted history sampler did not take its point");
            await Task.Delay(5);
        }
    }
}
