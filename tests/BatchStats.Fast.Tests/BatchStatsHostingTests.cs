using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.IO;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using BatchStats.Fast.Tests.PrometheusProto;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>The BatchStats.Fast.Hosting package: AddBatchStats, the health check and MapBatchStats, on a test server.</summary>
public sealed class BatchStatsHostingTests
{
    [Fact]
    public void AddBatchStats_OptionsFromConfigurationThenConfigure_KeyedTracker()
    {
        ServiceProvider sp = Services(new()
        {
            ["BatchStats:inference:WindowSize"] = "64",
            ["BatchStats:inference:CacheValidTime"] = "00:00:00",
            ["BatchStats:inference:HistogramScale"] = "4",
        }, s => s.AddBatchStats("inference", o => o.HistogramScale = 2).AddBatchStats("other"));
        var tracker = sp.GetRequiredKeyedService<LockFreeBatchStats>("inference");
        Assert.Same(tracker, sp.GetRequiredKeyedService<LockFreeBatchStats>("inference"));
        Assert.Equal(64, tracker.Options.WindowSize);
        Assert.Equal(TimeSpan.Zero, tracker.Options.CacheValidTime);
        Assert.Equal(2, tracker.Options.HistogramScale); // configure runs after binding
        Assert.Equal(1000, sp.GetRequiredKeyedService<LockFreeBatchStats>("other").Options.WindowSize);
        Assert.NotSame(tracker, sp.GetRequiredKeyedService<LockFreeBatchStats>("other"));
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => new ServiceCollection().AddBatchStats("x").AddBatchStats("x")).ParamName);
    }

    /// <summary>
    /// The package binds configuration with generated code (NativeAOT-safe; the project silences the generator's
    /// "cannot bind" warnings for <see cref="BatchStatsOptions.TimeProvider"/>). Every other public settable property
    /// of the options and the alert limits, found by reflection so that a property added later is covered too, is
    /// bound from a setting, to a value other than its default, and equals what the reflection binder reads.
    /// </summary>
    [Fact]
    public void AddBatchStats_GeneratedBinding_EveryPropertyAsTheReflectionBinder()
    {
        static string Setting(Type type) => (Nullable.GetUnderlyingType(type) ?? type) switch
        {
            Type t when t == typeof(int) => "5", // a valid window size and histogram scale
            Type t when t == typeof(double) => "3", // a valid limit and critical factor
            Type t when t == typeof(TimeSpan) => "00:00:03",
            Type t when t.IsEnum => Enum.GetNames(t)[^1],
            Type t => throw new InvalidOperationException($"no test setting for {t}: add one"),
        };
        static System.Reflection.PropertyInfo[] Bound(Type type) =>
            [.. type.GetProperties().Where(p => p.CanWrite && p.PropertyType != typeof(TimeProvider))];

        var settings = new Dictionary<string, string?>();
        foreach (System.Reflection.PropertyInfo p in Bound(typeof(BatchStatsOptions)))
        {
            settings[$"BatchStats:g:{p.Name}"] = Setting(p.PropertyType);
        }

        foreach (System.Reflection.PropertyInfo p in Bound(typeof(AlertThresholds)))
        {
            settings[$"BatchStats:g:Alerts:{p.Name}"] = Setting(p.PropertyType);
        }

        ServiceProvider sp = Services(settings, s => s.AddBatchStats("g"));
        IConfiguration configuration = sp.GetRequiredService<IConfiguration>();
        void AssertBound<T>(T generated, T reflected, T defaults)
        {
            foreach (System.Reflection.PropertyInfo p in Bound(typeof(T)))
            {
                Assert.Equal(p.GetValue(reflected), p.GetValue(generated));
                Assert.NotEqual(p.GetValue(defaults), p.GetValue(generated));
            }
        }

        AssertBound(sp.GetRequiredKeyedService<LockFreeBatchStats>("g").Options, configuration.GetSection("BatchStats:g").Get<BatchStatsOptions>()!, new BatchStatsOptions());
        AssertBound(sp.GetRequiredKeyedService<BatchStatsMonitor>("g").Thresholds, configuration.GetSection("BatchStats:g:Alerts").Get<AlertThresholds>()!, new AlertThresholds());
        Assert.Equal(8, settings.Count(s => s.Key.StartsWith("BatchStats:g:Alerts:", StringComparison.Ordinal))); // the eight limits today
    }

    /// <summary>A container with an empty configuration and <c>AddBatchStats</c>, no logging added, builds every part and starts.</summary>
    [Fact]
    public async Task AddBatchStats_Alone_EveryPartResolvesAndStarts()
    {
        using ServiceProvider sp = new ServiceCollection().AddSingleton<IConfiguration>(new ConfigurationBuilder().Build()).AddBatchStats("bare").BuildServiceProvider();
        sp.GetRequiredKeyedService<LockFreeBatchStats>("bare").Update(0.01, 1, 0);
        Assert.Equal(1, sp.GetRequiredKeyedService<LockFreeBatchStats>("bare").GetStats().BatchCount);
        Assert.NotNull(sp.GetRequiredKeyedService<BatchStatsMonitor>("bare"));
        IHostedService hosted = Assert.Single(sp.GetServices<IHostedService>());
        await hosted.StartAsync(CancellationToken.None);
        await hosted.StopAsync(CancellationToken.None);
    }

    /// <summary>A configured <c>MonitorInterval</c> is the monitor's interval (one second without one); the arguments are checked.</summary>
    [Fact]
    public void AddBatchStats_MonitorIntervalFromConfiguration_ArgumentsChecked()
    {
        ServiceProvider sp = Services(new() { ["BatchStats:m:MonitorInterval"] = "00:00:00.250" }, s => s.AddBatchStats("m").AddBatchStats("d"));
        Assert.Equal(TimeSpan.FromMilliseconds(250), sp.GetRequiredKeyedService<BatchStatsMonitor>("m").Interval);
        Assert.Equal(TimeSpan.FromSeconds(1), sp.GetRequiredKeyedService<BatchStatsMonitor>("d").Interval);

        Assert.Equal("services", Assert.Throws<ArgumentNullException>(() => ((IServiceCollection)null!).AddBatchStats("x")).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentNullException>(() => new ServiceCollection().AddBatchStats(null!)).ParamName);
        Assert.Equal("name", Assert.Throws<ArgumentException>(() => new ServiceCollection().AddBatchStats("")).ParamName);
    }

    [Fact]
    public void AddBatchStats_Instruments_FromTheMeterFactory_TaggedWithTheTracker()
    {
        ServiceProvider sp = Services([], s => s.AddBatchStats("inference"));
        var tracker = sp.GetRequiredKeyedService<LockFreeBatchStats>("inference");
        tracker.Update(new BatchSample(0.01, 4, 0, 0.02, 0, 1));
        tracker.Update(new BatchSample(0.02, 4, 0, 0.03, 0, 2));
        var instruments = sp.GetRequiredKeyedService<BatchStatsInstruments>("inference");
        Instrument batches = instruments.Instruments.Single(i => i.Name == "batchstats.batches");
        Assert.Equal("BatchStats.Fast", batches.Meter.Name);
        Assert.Contains(new KeyValuePair<string, object?>("batchstats.tracker", "inference"), batches.Meter.Tags!);
        using var collector = new MetricCollector<long>((ObservableCounter<long>)batches);
        collector.RecordObservableInstruments();
        Assert.Equal(2, collector.LastMeasurement!.Value);
    }

    /// <summary>
    /// The instruments exist once the hosted service's StartAsync has returned: a listener that collects right after
    /// the host started sees them. The meter factory holds any creation off the starting thread until the check is
    /// done, so creating them on the thread pool (as <c>ExecuteAsync</c> does since .NET 10) fails deterministically.
    /// </summary>
    [Fact]
    public async Task HostedService_Start_InstrumentsExistWhenStartReturns()
    {
        using var gate = new ManualResetEventSlim();
        using var factory = new GatedMeterFactory(Environment.CurrentManagedThreadId, gate);
        ServiceProvider sp = Services([], s => s.AddSingleton<IMeterFactory>(factory).AddBatchStats("a").AddBatchStats("b"));
        var published = new List<Instrument>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (factory.Created(instrument.Meter)) // only this test's meters: other tests' hosts publish on the same name
                {
                    lock (published)
                    {
                        published.Add(instrument);
                    }
                }
            },
        };
        listener.Start();
        IHostedService service = Assert.Single(sp.GetServices<IHostedService>());
        try
        {
            await service.StartAsync(CancellationToken.None);
            Instrument[] seen;
            lock (published)
            {
                seen = [.. published]; // before anything below resolves (and so creates) the instruments on this thread
            }

            foreach (string tracker in new[] { "a", "b" })
            {
                Assert.Equal(
                    sp.GetRequiredKeyedService<BatchStatsInstruments>(tracker).Instruments.Select(i => i.Name).Order(),
                    seen.Where(i => i.Meter.Tags!.Contains(new KeyValuePair<string, object?>("batchstats.tracker", tracker))).Select(i => i.Name).Order());
            }

            Assert.Equal(46, seen.Length); // 23 a tracker: nothing created twice
        }
        finally
        {
            gate.Set();
            await service.StopAsync(CancellationToken.None);
        }
    }

    /// <summary>Healthy, then Degraded on a warning (p95 above the limit), Unhealthy on a critical one (twice the limit), Healthy again.</summary>
    [Fact]
    public async Task HealthCheck_FollowsTheMonitorsAlerts_ThroughAllThreeStates()
    {
        var time = new FakeTimeProvider();
        ServiceProvider sp = Services(new()
        {
            ["BatchStats:h:WindowSize"] = "20",
            ["BatchStats:h:CacheValidTime"] = "00:00:00",
            ["BatchStats:h:Alerts:MaxProcessingTime"] = "0.01",
        }, s => s.AddSingleton<TimeProvider>(time).AddBatchStats("h").AddHealthChecks().AddBatchStats("h"));
        var tracker = sp.GetRequiredKeyedService<LockFreeBatchStats>("h");
        var health = sp.GetRequiredService<HealthCheckService>();
        long stamp = 0;
        async Task<HealthReportEntry> After(double processingTime)
        {
            for (int i = 0; i < 20; i++)
            {
                tracker.Update(new BatchSample(processingTime, 1, 0, processingTime, 0, ++stamp));
            }

            time.Advance(TimeSpan.FromSeconds(1));
            return (await health.CheckHealthAsync()).Entries["batchstats-h"];
        }

        Assert.Equal(HealthStatus.Healthy, (await After(0.001)).Status);
        HealthReportEntry degraded = await After(0.015);
        Assert.Equal(HealthStatus.Degraded, degraded.Status);
        Assert.True(degraded.Data.ContainsKey("processing_time"));
        Assert.Equal(HealthStatus.Unhealthy, (await After(0.05)).Status);
        Assert.Equal(HealthStatus.Healthy, (await After(0.001)).Status);
        Assert.Same(time, tracker.Options.TimeProvider); // the registered clock reaches the tracker too
    }

    /// <summary>Thresholds come from configuration and follow a reload into the running monitor, a removed limit too.</summary>
    [Fact]
    public void Monitor_ThresholdsFromConfiguration_FollowAReload()
    {
        var source = new Dictionary<string, string?>
        {
            ["BatchStats:r:WindowSize"] = "10",
            ["BatchStats:r:CacheValidTime"] = "00:00:00",
            ["BatchStats:r:Alerts:MaxProcessingTime"] = "1.0",
        };
        using ServiceProvider sp = Services(source, s => s.AddLogging().AddBatchStats("r"));
        var configuration = (IConfigurationRoot)sp.GetRequiredService<IConfiguration>(); // the memory source, set and reloaded below
        var tracker = sp.GetRequiredKeyedService<LockFreeBatchStats>("r");
        var monitor = sp.GetRequiredKeyedService<BatchStatsMonitor>("r");
        for (int i = 1; i <= 10; i++)
        {
            tracker.Update(new BatchSample(0.2, 1, 0, 0.2, 0, i));
        }

        Assert.Equal(1.0, monitor.Thresholds.MaxProcessingTime);
        Assert.Empty(monitor.CheckAlerts());

        configuration["BatchStats:r:Alerts:MaxProcessingTime"] = "0.15";
        configuration.Reload();
        Assert.Equal(0.15, monitor.Thresholds.MaxProcessingTime);
        Assert.Equal("processing_time", Assert.Single(monitor.CheckAlerts()).Name);

        configuration["BatchStats:r:Alerts:MaxProcessingTime"] = null; // the limit taken out of configuration
        configuration.Reload();
        Assert.Null(monitor.Thresholds.MaxProcessingTime);
        Assert.Empty(monitor.CheckAlerts()); // its alert is cleared, not left active with nothing to judge it
    }

    /// <summary>A bad monitor interval or alert limit in configuration stops the host's start, naming the key.</summary>
    [Theory]
    [InlineData("BatchStats:x:MonitorInterval", "00:00:00", "BatchStats:x:MonitorInterval must be a positive time span; it was '00:00:00'")]
    [InlineData("BatchStats:x:MonitorInterval", "-00:00:01", "BatchStats:x:MonitorInterval must be a positive time span; it was '-00:00:01'")]
    [InlineData("BatchStats:x:MonitorInterval", "soon", "BatchStats:x:MonitorInterval must be a positive time span; it was 'soon'")]
    [InlineData("BatchStats:x:MonitorInterval", "60.00:00:00", "BatchStats:x:MonitorInterval must be a positive time span of at most about 49.7 days (the longest .NET timer); it was '60.00:00:00'")]
    [InlineData("BatchStats:x:Alerts:MaxErrorRate", "-0.01", "BatchStats:x:Alerts: MaxErrorRate must be a finite number, at least 0")]
    [InlineData("BatchStats:x:Alerts:CriticalFactor", "0.5", "BatchStats:x:Alerts: CriticalFactor must be at least 1")]
    [InlineData("BatchStats:x:WindowSize", "-5", "BatchStats:x:WindowSize: The window size must be between 1 and 16777216. Actual value was -5.")]
    [InlineData("BatchStats:x:CacheValidTime", "-00:00:01", "BatchStats:x:CacheValidTime: The cache valid time must not be negative.")]
    [InlineData("BatchStats:x:HistogramScale", "99", "BatchStats:x:HistogramScale: The histogram scale must be between 0 and 6. Actual value was 99.")]
    [InlineData("BatchStats:x:MaxSampleAge", "00:00:00", "BatchStats:x:MaxSampleAge: The maximum sample age must be positive (or null for none).")]
    [InlineData("BatchStats:x:WindowSise", "500", "BatchStats:x:WindowSise is not a BatchStats setting; BatchStats:x takes WindowSize, CacheValidTime, MaxSampleAge, HistogramScale, InvalidSamplePolicy, MonitorInterval, Alerts, Items.")]
    [InlineData("BatchStats:x:TimeProvider", "system", "BatchStats:x:TimeProvider is not a BatchStats setting;")] // a property, but the container's, never configuration's
    [InlineData("BatchStats:x:Alerts:MaxProcesingTime", "0.05", "BatchStats:x:Alerts:MaxProcesingTime is not a BatchStats setting; BatchStats:x:Alerts takes MaxProcessingTime, MinThroughput, MaxErrorRate, MaxQueueLength, MaxP99Latency, MaxAvgProcessingTime, MaxAvgQueueLength, CriticalFactor.")]
    [InlineData("BatchStats:x:Alerts:Window:Size", "5", "BatchStats:x:Alerts:Window is not a BatchStats setting;")]
    public async Task HostedService_BadConfiguration_StartFailsNamingTheKey(string key, string value, string message)
    {
        ServiceProvider sp = Services(new() { [key] = value }, s => s.AddBatchStats("x"));
        IHostedService service = Assert.Single(sp.GetServices<IHostedService>());
        InvalidOperationException e = await Assert.ThrowsAsync<InvalidOperationException>(() => service.StartAsync(CancellationToken.None));
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Keys are matched as configuration matches them, ignoring case: differently cased keys bind and are not
    /// refused, and a tracker's section is found under any casing of its name.
    /// </summary>
    [Fact]
    public async Task HostedService_KeysInAnyCase_BoundNotRefused()
    {
        ServiceProvider sp = Services(new()
        {
            ["batchstats:X:windowsize"] = "7",
            ["BATCHSTATS:x:ALERTS:maxerrorrate"] = "0.25",
        }, s => s.AddBatchStats("x").AddFakeLogging());
        await Assert.Single(sp.GetServices<IHostedService>()).StartAsync(CancellationToken.None);
        Assert.Equal(7, sp.GetRequiredKeyedService<LockFreeBatchStats>("x").Options.WindowSize);
        Assert.Equal(0.25, sp.GetRequiredKeyedService<BatchStatsMonitor>("x").Thresholds.MaxErrorRate);
        Assert.DoesNotContain(sp.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Warning); // "X" is the registered "x"
    }

    /// <summary>
    /// A section under <c>BatchStats</c> that names no registered tracker (a misspelled name) is reported at start as
    /// a warning naming it and the registered trackers; the start goes on, and the registered trackers keep their defaults.
    /// </summary>
    [Fact]
    public async Task HostedService_SectionOfNoRegisteredTracker_WarnedAtStart()
    {
        ServiceProvider sp = Services(new()
        {
            ["BatchStats:inferenc:WindowSize"] = "64", // a prefix of "inference", not a section of it
            ["BatchStats:other:WindowSize"] = "32",
            ["BatchStats:gpu:0:WindowSize"] = "16", // the tracker "gpu:0": a nested section, not a "gpu" tracker
        }, s => s.AddBatchStats("inference").AddBatchStats("other").AddBatchStats("gpu:0").AddFakeLogging());
        await Assert.Single(sp.GetServices<IHostedService>()).StartAsync(CancellationToken.None);
        FakeLogRecord warning = Assert.Single(sp.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Warning);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal("BatchStats:inferenc configures no tracker registered with AddBatchStats (registered: inference, other, gpu:0); its settings are not used", warning.Message);
        Assert.Equal("BatchStats.Fast.Hosting", warning.Category);
        Assert.Equal(16, sp.GetRequiredKeyedService<LockFreeBatchStats>("gpu:0").Options.WindowSize);
        Assert.Equal(1000, sp.GetRequiredKeyedService<LockFreeBatchStats>("inference").Options.WindowSize);
        Assert.Equal(32, sp.GetRequiredKeyedService<LockFreeBatchStats>("other").Options.WindowSize);
    }

    /// <summary>A reload that brings a key that is not an alert limit is logged as an error naming it, and leaves the limits in force.</summary>
    [Fact]
    public void Monitor_ReloadWithAnUnknownKey_LoggedAndIgnored()
    {
        using ServiceProvider sp = MonitorWithErrorRateLimit("0.05", out IConfigurationRoot configuration, out BatchStatsMonitor monitor);

        configuration["BatchStats:r:Alerts:MaxErrorRate"] = null;
        configuration["BatchStats:r:Alerts:MaxErorRate"] = "0.02"; // meant as the new limit; bound, it would remove the old one
        configuration.Reload();
        Assert.Equal(0.05, monitor.Thresholds.MaxErrorRate);
        FakeLogRecord logged = Assert.Single(sp.GetFakeLogCollector().GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.StartsWith("Reloaded BatchStats:r:Alerts ignored, the limits in force stay: BatchStats:r:Alerts:MaxErorRate is not a BatchStats setting;", logged.Message, StringComparison.Ordinal);

        configuration["BatchStats:r:Alerts:MaxErorRate"] = null;
        configuration["BatchStats:r:Alerts:MaxErrorRate"] = "0.02";
        configuration.Reload();
        Assert.Equal(0.02, monitor.Thresholds.MaxErrorRate); // the misspelled key, set to null, sets nothing and is not refused
    }

    /// <summary>
    /// A reload that changes the tracker's own options is logged as a warning naming each change, since the tracker
    /// keeps the options it was created with; a reload that changes none (an alert limit only) says nothing.
    /// </summary>
    [Fact]
    public void Tracker_ReloadChangingItsOptions_WarnsTheyApplyAtTheNextStart()
    {
        var source = new Dictionary<string, string?> { ["BatchStats:r:WindowSize"] = "10", ["BatchStats:r:MaxSampleAge"] = "00:01:00" };
        using ServiceProvider sp = Services(source, s => s.AddFakeLogging().AddBatchStats("r").AddBatchStats("other"));
        var configuration = (IConfigurationRoot)sp.GetRequiredService<IConfiguration>();
        var tracker = sp.GetRequiredKeyedService<LockFreeBatchStats>("r");
        sp.GetRequiredKeyedService<LockFreeBatchStats>("other");

        configuration["BatchStats:r:Alerts:MaxErrorRate"] = "0.5";
        configuration.Reload();
        Assert.DoesNotContain(sp.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Warning);

        configuration["BatchStats:r:WindowSize"] = "20";
        configuration["BatchStats:r:MaxSampleAge"] = null;
        configuration["BatchStats:r:InvalidSamplePolicy"] = "Drop";
        configuration["BatchStats:r:CacheValidTime"] = "00:00:00.5";
        configuration["BatchStats:r:HistogramScale"] = "4";
        configuration.Reload();
        FakeLogRecord warning = Assert.Single(sp.GetFakeLogCollector().GetSnapshot(), r => r.Level >= LogLevel.Warning); // "other" did not change
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal("BatchStats.Fast.r", warning.Category);
        Assert.Equal(
            "Reloaded BatchStats:r changes WindowSize 10 -> 20, CacheValidTime 00:00:01 -> 00:00:00.5000000, MaxSampleAge 00:01:00 -> none, HistogramScale 3 -> 4, InvalidSamplePolicy Throw -> Drop: a tracker keeps the options it was created with until the application restarts (only Alerts follow a reload)",
            warning.Message);
        Assert.Equal(10, tracker.Options.WindowSize);

        configuration["BatchStats:other:MaxSampleAge"] = "00:00:30"; // "other" has none in force
        configuration.Reload();
        Assert.Contains(sp.GetFakeLogCollector().GetSnapshot(), r => r.Message.StartsWith("Reloaded BatchStats:other changes MaxSampleAge none -> 00:00:30:", StringComparison.Ordinal));
    }

    /// <summary>A reload with a bad limit is logged as an error and leaves the limits in force.</summary>
    [Fact]
    public void Monitor_ReloadWithABadLimit_LoggedAndIgnored()
    {
        using ServiceProvider sp = MonitorWithErrorRateLimit("0.05", out IConfigurationRoot configuration, out BatchStatsMonitor monitor);

        configuration["BatchStats:r:Alerts:MaxErrorRate"] = "-1";
        configuration.Reload();
        Assert.Equal(0.05, monitor.Thresholds.MaxErrorRate);
        FakeLogRecord logged = Assert.Single(sp.GetFakeLogCollector().GetSnapshot(), r => r.Level == LogLevel.Error);
        Assert.StartsWith("Reloaded BatchStats:r:Alerts ignored, the limits in force stay: MaxErrorRate must be", logged.Message, StringComparison.Ordinal);
        Assert.Equal("BatchStats.Fast.r", logged.Category); // the monitor's logger, named after the tracker

        configuration["BatchStats:r:Alerts:MaxErrorRate"] = "0.02";
        configuration.Reload();
        Assert.Equal(0.02, monitor.Thresholds.MaxErrorRate); // a good reload after a bad one still applies
    }

    [Fact]
    public async Task MapBatchStats_ServesMetricsStatsAndThePage()
    {
        await using WebApplication app = TestApp("a", "b");
        app.MapBatchStats();
        await app.StartAsync();
        app.Services.GetRequiredKeyedService<LockFreeBatchStats>("a").Update(new BatchSample(0.01, 4, 0.001, 0.02, 2, 1));
        using HttpClient http = app.GetTestClient();

        string text = await http.GetStringAsync("/batchstats/metrics");
        Assert.Contains("batch_batches_total{tracker=\"a\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("batch_batches_total{tracker=\"b\"} 0\n", text, StringComparison.Ordinal);

        (string? mediaType, MetricFamily family) = await ScrapeProtobuf(http, "/batchstats/metrics");
        Assert.Equal("application/vnd.google.protobuf", mediaType);
        Assert.Equal(2, family.Metric.Count);

        using JsonDocument stats = JsonDocument.Parse(await http.GetStringAsync("/batchstats/stats"));
        Assert.Equal("a", stats.RootElement.GetProperty("tracker").GetString());
        Assert.Equal(1, stats.RootElement.GetProperty("stats").GetProperty("batch_count").GetDouble());
        Assert.Equal(["a", "b"], stats.RootElement.GetProperty("trackers").EnumerateArray().Select(e => e.GetString()));
        using JsonDocument other = JsonDocument.Parse(await http.GetStringAsync("/batchstats/stats?tracker=b"));
        Assert.Equal(0, other.RootElement.GetProperty("stats").GetProperty("batch_count").GetDouble());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/batchstats/stats?tracker=zzz")).StatusCode);

        using JsonDocument history = JsonDocument.Parse(await http.GetStringAsync("/batchstats/history"));
        Assert.Equal(JsonValueKind.Array, history.RootElement.ValueKind);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/batchstats/history?tracker=zzz")).StatusCode);

        using HttpResponseMessage redirect = await http.GetAsync("/batchstats");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal("/batchstats/", redirect.Headers.Location!.OriginalString);
        string page = await http.GetStringAsync("/batchstats/");
        Assert.Contains("<canvas id=\"c-throughput\"", page, StringComparison.Ordinal);
        Assert.Contains("fetch('stats' + query", page, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"fetch\('[a-z]+',", page); // every fetch carries the page's ?tracker= on to the JSON endpoints
        Assert.Contains("const judged = s.window_count >= 4;", page, StringComparison.Ordinal); // BatchStatsAnalysis.MinTrendSamples, put in the page
        Assert.DoesNotContain("MIN_TREND_SAMPLES", page, StringComparison.Ordinal);
        using HttpResponseMessage chosen = await http.GetAsync("/batchstats?tracker=b");
        Assert.Equal("/batchstats/?tracker=b", chosen.Headers.Location!.OriginalString);
        await app.StopAsync();
    }

    /// <summary>The exposition options reach both formats of <c>/metrics</c>: the name prefix, the constant labels beside <c>tracker</c>, the classic buckets.</summary>
    [Fact]
    public async Task MapBatchStats_ExpositionOptions_InBothFormats()
    {
        await using WebApplication app = TestApp("a");
        app.MapBatchStats(exposition: new PrometheusExportOptions
        {
            Prefix = "inference",
            ConstantLabels = new Dictionary<string, string> { ["service"] = "ranker" },
            HistogramBuckets = [0.004, 0.05],
        });
        await app.StartAsync();
        app.Services.GetRequiredKeyedService<LockFreeBatchStats>("a").Update(new BatchSample(0.01, 4, 0.001, 0.02, 2, 1));
        using HttpClient http = app.GetTestClient();

        string text = await http.GetStringAsync("/batchstats/metrics");
        Assert.Contains("inference_batches_total{service=\"ranker\",tracker=\"a\"} 1\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("batch_batches_total", text, StringComparison.Ordinal);
        string[] bounds = [.. System.Text.RegularExpressions.Regex.Matches(text, "inference_processing_duration_seconds_bucket\\{[^}]*le=\"([^\"]+)\"").Select(m => m.Groups[1].Value)];
        Assert.Equal(["0.004", "0.05", "+Inf"], bounds.Select(b => b == "+Inf" ? b : double.Parse(b, System.Globalization.CultureInfo.InvariantCulture) switch
        {
            >= 0.004 and < 0.0044 => "0.004", // snapped up to the next exponential edge at or above it
            >= 0.05 and < 0.055 => "0.05",
            double other => other.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }));

        (_, MetricFamily first) = await ScrapeProtobuf(http, "/batchstats/metrics");
        Assert.StartsWith("inference_", first.Name, StringComparison.Ordinal);
        Assert.Contains(first.Metric[0].Label, l => l.Name == "service" && l.Value == "ranker");
        await app.StopAsync();
    }

    /// <summary>Bad exposition options fail where they are mapped, naming the parameter, not at every scrape.</summary>
    [Theory]
    [InlineData("9bad", null, "'9bad' is not a valid Prometheus metric name prefix.")]
    [InlineData("batch", "tracker", "The constant label 'tracker' clashes")]
    [InlineData("batch", "le", "'le' is not a valid Prometheus label name for a constant label")]
    public async Task MapBatchStats_BadExpositionOptions_ThrowNamingTheParameter(string prefix, string? label, string message)
    {
        await using WebApplication app = TestApp("a");
        var exposition = new PrometheusExportOptions
        {
            Prefix = prefix,
            ConstantLabels = label is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [label] = "x" },
        };
        ArgumentException e = Assert.Throws<ArgumentException>(() => app.MapBatchStats(exposition: exposition));
        Assert.Equal("exposition", e.ParamName);
        Assert.StartsWith(message, e.Message, StringComparison.Ordinal);
        Assert.EndsWith(". (Parameter 'exposition')", e.Message, StringComparison.Ordinal); // the exporter's own parameter name is not repeated
        Assert.IsType<ArgumentException>(e.InnerException);
    }

    /// <summary>
    /// Behind a reverse proxy's path base (<c>UsePathBase</c>) and under a prefix of one's own: the dashboard redirect keeps
    /// the path base and the query, so the page's relative fetches reach the JSON endpoints under the same path.
    /// </summary>
    [Fact]
    public async Task MapBatchStats_UnderAPathBaseAndAPrefix_RedirectKeepsBoth()
    {
        await using WebApplication app = TestApp("a");
        app.UsePathBase("/svc");
        app.UseRouting();
        app.MapBatchStats("/ops/stats");
        await app.StartAsync();
        using HttpClient http = app.GetTestClient();

        using HttpResponseMessage redirect = await http.GetAsync("/svc/ops/stats?tracker=a");
        Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
        Assert.Equal("/svc/ops/stats/?tracker=a", redirect.Headers.Location!.OriginalString);
        Assert.Contains("live dashboard", await http.GetStringAsync("/svc/ops/stats/?tracker=a"), StringComparison.Ordinal);
        using JsonDocument stats = JsonDocument.Parse(await http.GetStringAsync("/svc/ops/stats/stats?tracker=a")); // where 'stats' resolves from the page
        Assert.Equal("a", stats.RootElement.GetProperty("tracker").GetString());
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/svc/ops/stats/metrics")).StatusCode);
        await app.StopAsync();
    }

    [Fact]
    public void MapBatchStats_NoTrackerRegistered_SaysWhatToDo()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        using WebApplication app = builder.Build();
        Assert.Contains("AddBatchStats", Assert.Throws<InvalidOperationException>(() => app.MapBatchStats()).Message, StringComparison.Ordinal);
    }

    /// <summary>A web app on a test server with these trackers, built and not started (no cache: the hosted monitor reads at start, and a cached empty snapshot would be served).</summary>
    private static WebApplication TestApp(params string[] trackers)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        foreach (string tracker in trackers)
        {
            builder.Services.AddBatchStats(tracker, o => o.CacheValidTime = TimeSpan.Zero);
        }

        return builder.Build();
    }

    /// <summary>Scrapes <paramref name="path"/> as a Prometheus server that asks for protobuf does: the media type and the first family.</summary>
    private static async Task<(string? MediaType, MetricFamily First)> ScrapeProtobuf(HttpClient http, string path)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Accept", BatchStatsPrometheus.ProtobufContentType);
        using HttpResponseMessage response = await http.SendAsync(request);
        using var body = new MemoryStream(await response.Content.ReadAsByteArrayAsync());
        return (response.Content.Headers.ContentType?.MediaType, MetricFamily.Parser.ParseDelimitedFrom(body));
    }

    /// <summary>Tracker "r" with a fake logger and an error-rate limit; its monitor, and the in-memory configuration that reloads it.</summary>
    private static ServiceProvider MonitorWithErrorRateLimit(string limit, out IConfigurationRoot configuration, out BatchStatsMonitor monitor)
    {
        ServiceProvider sp = Services(new() { ["BatchStats:r:Alerts:MaxErrorRate"] = limit }, s => s.AddFakeLogging().AddBatchStats("r"));
        configuration = (IConfigurationRoot)sp.GetRequiredService<IConfiguration>(); // the memory source, set and reloaded by the caller
        monitor = sp.GetRequiredKeyedService<BatchStatsMonitor>("r");
        return sp;
    }

    private static ServiceProvider Services(Dictionary<string, string?> configuration, Action<IServiceCollection> register)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(configuration).Build());
        services.AddLogging();
        register(services);
        return services.BuildServiceProvider();
    }

    /// <summary>An <see cref="IMeterFactory"/> whose <c>Create</c> waits for <paramref name="gate"/> on any thread but <paramref name="startingThread"/>.</summary>
    private sealed class GatedMeterFactory(int startingThread, ManualResetEventSlim gate) : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            if (Environment.CurrentManagedThreadId != startingThread)
            {
                gate.Wait(TimeSpan.FromSeconds(30));
            }

            var meter = new Meter(options);
            lock (_meters)
            {
                _meters.Add(meter);
            }

            return meter;
        }

        public bool Created(Meter meter)
        {
            lock (_meters)
            {
                return _meters.Contains(meter);
            }
        }

        public void Dispose()
        {
            lock (_meters)
            {
                _meters.ForEach(m => m.Dispose());
            }
        }
    }
}
