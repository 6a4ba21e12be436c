using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Linq;
using System.Net;
using System.Text;
using System.Threading;
using System.Threading.Channels;
using System.Threading.Tasks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace BatchStats.Fast.Demo;

/// <summary>
/// The demo: an inference server (a load generator, a request queue, worker threads running an ONNX model) recording
/// into a tracker of BatchStats.Fast.Hosting (AddBatchStats + MapBatchStats at the root: /, /stats, /metrics), on
/// 127.0.0.1; startable in-process (tests do).
/// </summary>
public sealed class DemoHost : IAsyncDisposable
{
    /// <summary>The demo's tracker name (its key, meter tag and <c>tracker</c> label).</summary>
    public const string TrackerName = "demo";

    /// <summary>The meter the demo's instruments are on (tagged <c>batchstats.tracker=demo</c>).</summary>
    public const string MeterName = "BatchStats.Fast";

    private readonly WebApplication _app;
    private readonly LoadGenerator _generator;
    private readonly InferenceWorker[] _workers;
    private readonly CancellationTokenSource _abandon = new();
    private Task? _stopped;
    private long _lastServed;
    private long _lastFrame;

    private DemoHost(DemoOptions options, WebApplication app, Uri address, InferenceModel model, double capacity, double rate)
    {
        Options = options;
        _app = app;
        Model = model;
        Capacity = capacity;
        SteadyRate = rate;
        Stats = app.Services.GetRequiredKeyedService<LockFreeBatchStats>(TrackerName);
        Monitor = app.Services.GetRequiredKeyedService<BatchStatsMonitor>(TrackerName);
        Address = address;
        Channel<Request> queue = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleWriter = true });
        _workers = Enumerable.Range(0, options.Workers)
            .Select(id => new InferenceWorker(id, queue.Reader, Stats, model, options.MaxBatch, options.MaxWait, _abandon.Token))
            .ToArray();
        _generator = new LoadGenerator(queue.Writer, () => queue.Reader.Count, model.Features, rate, options.BadShare);
        Queue = queue.Reader;
        foreach (InferenceWorker worker in _workers)
        {
            worker.Start();
        }

        foreach (InferenceWorker worker in _workers)
        {
            worker.Ready.Wait(); // traffic starts once every worker has warmed up
        }

        _generator.Start();
    }

    public DemoOptions Options { get; }

    public LockFreeBatchStats Stats { get; }

    public BatchStatsMonitor Monitor { get; }

    /// <summary>The model the workers run.</summary>
    public InferenceModel Model { get; }

    /// <summary>Requests per second the workers can serve, measured at start (see <see cref="MeasureCapacity"/>).</summary>
    public double Capacity { get; }

    /// <summary>The steady arrival rate (requests per second) of the load profile.</summary>
    public double SteadyRate { get; }

    /// <summary>Where the HTTP server listens, e.g. http://127.0.0.1:5080/.</summary>
    public Uri Address { get; }

    /// <summary>The request queue (its count is the backlog).</summary>
    public ChannelReader<Request> Queue { get; }

    /// <summary>Requests generated so far.</summary>
    public long Generated => _generator.Generated;

    /// <summary>Arrivals shed because the backlog was full (see <see cref="LoadGenerator.MaxBacklog"/>).</summary>
    public long Shed => _generator.Shed;

    /// <summary>Requests run through the model so far.</summary>
    public long Served => _workers.Sum(w => w.Served);

    /// <summary>Malformed requests rejected so far.</summary>
    public long Rejected => _workers.Sum(w => w.Rejected);

    /// <summary>The overhead line of the final summary (complete once <see cref="StopLoadAsync"/> has finished).</summary>
    public string OverheadLine => RecordingOverhead.Line(_workers.Select(w => w.Overhead));

    /// <summary>How many batches the overhead line rests on (complete once <see cref="StopLoadAsync"/> has finished).</summary>
    public string OverheadDetail => RecordingOverhead.Detail(_workers.Select(w => w.Overhead));

    /// <summary>The workers' overhead figures (complete once <see cref="StopLoadAsync"/> has finished).</summary>
    public (double NanosecondsPerBatch, double ShareOfInference, long Samples) Overhead => RecordingOverhead.Combine(_workers.Select(w => w.Overhead));

    public static async Task<DemoHost> StartAsync(DemoOptions options, ILoggerFactory? loggerFactory = null)
    {
        InferenceModel model = InferenceModel.Load(options.ModelPath ?? InferenceModel.DefaultPath);
        try
        {
            double capacity = MeasureCapacity(model, options);
            double rate = options.ArrivalRate ?? Math.Max(100, Math.Round(0.4 * capacity / 100) * 100);
            WebApplication app = await StartWebAsync(options, rate, loggerFactory).ConfigureAwait(false);
            string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new DemoHost(options, app, new Uri(address.EndsWith('/') ? address : address + "/"), model, capacity, rate);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The workers' capacity in requests per second: every worker that can run at once (no more than the cores) runs
    /// full batches back to back for about 300 ms, all at the same time after a warm-up, so the figure includes what
    /// they cost each other on shared cores; the sum of their rates.
    /// </summary>
    public static double MeasureCapacity(InferenceModel model, DemoOptions options)
    {
        int threads = Math.Min(options.Workers, Environment.ProcessorCount);
        var rates = new double[threads];
        using var together = new Barrier(threads);
        var measuring = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int id = t;
            measuring[t] = new Thread(() => rates[id] = MeasureOneWorker(model, options.MaxBatch, together)) { IsBackground = true };
            measuring[t].Start();
        }

        foreach (Thread thread in measuring)
        {
            thread.Join();
        }

        return rates.Sum();
    }

    private static double MeasureOneWorker(InferenceModel model, int batch, Barrier together)
    {
        using ModelRunner runner = model.CreateRunner(batch);
        for (int i = 0; i < batch; i++)
        {
            runner.InputRow(i).Fill(0.5f);
        }

        for (int i = 0; i < 10; i++)
        {
            runner.Run(batch);
        }

        together.SignalAndWait();
        long start = Stopwatch.GetTimestamp();
        int runs = 0;
        while (Stopwatch.GetElapsedTime(start).TotalMilliseconds < 300 || runs < 5)
        {
            runner.Run(batch);
            runs++;
        }

        return batch * runs / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    private static async Task<WebApplication> StartWebAsync(DemoOptions options, double rate, ILoggerFactory? loggerFactory)
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
            o.WindowSize = 20_000;
            o.MaxSampleAge = TimeSpan.FromSeconds(2); // the figures follow the load within seconds (the spike, the recovery)
            o.CacheValidTime = TimeSpan.FromMilliseconds(200);
        });
        int maxQueue = (int)Math.Max(1_000, 0.05 * rate);
        builder.Services.Configure<AlertThresholds>(TrackerName, t =>
        {
            t.MaxP99Latency = 0.100; // steady load: a few ms; the spike's backlog: hundreds of ms and more
            t.MaxQueueLength = maxQueue; // 50 ms of steady traffic: steady load stays far below; the spike's backlog: hundreds of thousands
            t.MaxErrorRate = 0.01; // the malformed share (0.05 % by default) stays below it
        });
        WebApplication app = builder.Build();
        app.MapBatchStats(string.Empty);
        await app.StartAsync().ConfigureAwait(false);
        return app;
    }

    /// <summary>A rate for the console: whole numbers from 100 a second, three significant digits below (a <c>--rate 0.5</c> read "0" before).</summary>
    public static string Rate(double perSecond) =>
        perSecond.ToString(perSecond >= 100 ? "F0" : "G3", CultureInfo.InvariantCulture);

    /// <summary>
    /// A figure of the final summary: whole numbers (the counts) in full and any figure from 100,000 up as a whole
    /// number, below 10^15 (six significant digits printed a count of 1,623,516 as 1.62352E+06); six significant
    /// digits otherwise.
    /// </summary>
    public static string SummaryFigure(double value) =>
        value.ToString((value == Math.Floor(value) || Math.Abs(value) >= 1e5) && Math.Abs(value) < 1e15 ? "F0" : "G6", CultureInfo.InvariantCulture);

    /// <summary>One frame of the console view.</summary>
    public string ConsoleFrame()
    {
        BatchStatsAnalysis a = Stats.GetComprehensiveStats();
        BatchStatsSnapshot s = a.Snapshot;
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"BatchStats.Fast demo — {System.IO.Path.GetFileName(Model.Path)} [N,{Model.Features}]→[N,{Model.Outputs}] on ONNX Runtime — {Options.Workers} workers — {Address}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  load        steady {Rate(SteadyRate),8} req/s   now {Rate(LoadGenerator.RateAt(SteadyRate, Stopwatch.GetElapsedTime(_generator.ProfileStart).TotalSeconds)),8} req/s   capacity ~{Capacity:F0} req/s   backlog {Queue.Count:N0}{(Shed > 0 ? $"   shed {Shed:N0}" : "")}");
        long served = Served, now = Stopwatch.GetTimestamp();
        long since = _lastFrame == 0 ? _generator.ProfileStart : _lastFrame; // the first frame: since the traffic began (it showed 0)
        double servedRate = (served - _lastServed) * (double)Stopwatch.Frequency / Math.Max(1, now - since);
        (_lastServed, _lastFrame) = (served, now);
        text.AppendLine(CultureInfo.InvariantCulture, $"  served      {Rate(servedRate),10} req/s   per worker busy {s.Throughput:F0} req/s of inference (peak {s.PeakThroughput:F0})   batches {s.BatchCount:N0}   requests {s.TotalProcessed:N0}   batch avg {s.AvgBatchSize:F1}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  inference   p50 {s.MedianProcessingTime * 1000,7:F3} ms   p95 {s.P95ProcessingTime * 1000,7:F3} ms   p99 {s.P99ProcessingTime * 1000,7:F3} ms");
        text.AppendLine(CultureInfo.InvariantCulture, $"  latency     p50 {s.MedianLatency * 1000,7:F2} ms   p95 {s.P95Latency * 1000,7:F2} ms   p99 {s.P99Latency * 1000,7:F2} ms");
        text.AppendLine(CultureInfo.InvariantCulture, $"  queue       avg {s.AvgQueueLength,7:F1}      max {s.MaxQueueLength,7}      wait {s.AvgQueueTime * 1000,7:F2} ms");
        text.AppendLine(CultureInfo.InvariantCulture, $"  errors      {s.ErrorRate,8:P3}   trends: performance {BatchStatsAnalysis.Word(a.PerformanceTrend)}, throughput {BatchStatsAnalysis.Word(a.ThroughputTrend)}, errors {BatchStatsAnalysis.Word(a.ErrorTrend)}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  utilization {a.Utilization,8:P0}   recommended workers {a.RecommendedCapacity}");
        IReadOnlyList<BatchStatsAlert> alerts = Monitor.ActiveAlerts;
        text.AppendLine(alerts.Count == 0 ? "  alerts      none" : "  alerts      " + string.Join("; ", alerts.Select(x => x.Message)));
        return text.ToString();
    }

    /// <summary>
    /// Stops the load: no new requests; the workers serve what is queued for up to <paramref name="drain"/>, then
    /// leave the rest; waits for them. Idempotent.
    /// </summary>
    public Task StopLoadAsync(TimeSpan drain) => _stopped ??= StopCore(drain);

    private async Task StopCore(TimeSpan drain)
    {
        _generator.Stop();
        Task workers = Task.Factory.StartNew(() => Array.ForEach(_workers, w => w.Join()), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        if (await Task.WhenAny(workers, Task.Delay(drain)).ConfigureAwait(false) != workers)
        {
            await _abandon.CancelAsync().ConfigureAwait(false);
        }

        await workers.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await StopLoadAsync(TimeSpan.Zero).ConfigureAwait(false);
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        Model.Dispose();
        _abandon.Dispose();
    }
}
