using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;
using System.Threading.Tasks;
using BatchStats.Fast;
using BatchStats.Fast.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.AspNetCore.Builder;

/// <summary>HTTP endpoints of the <c>AddBatchStats</c> trackers.</summary>
public static class BatchStatsEndpointRouteBuilderExtensions
{
    private const string Json = "application/json; charset=utf-8";

    /// <summary>
    /// Maps <c>{prefix}/metrics</c> (Prometheus: the delimited protobuf format with native histograms when the
    /// scraper asks for it and the query has no <c>format=text</c>, else text; every tracker's series labelled
    /// <c>tracker="name"</c>), <c>{prefix}/stats</c>
    /// (JSON: timestamp, tracker names, what the tracker's items are (<c>BatchStats:{name}:Items</c> in configuration,
    /// e.g. <c>requests</c>; the page's units), and the snapshot, analysis and active alerts of <c>?tracker=name</c>, by
    /// default the first registered), <c>{prefix}/history</c> (JSON: the last ten minutes of that tracker's figures,
    /// one point a second), <c>{prefix}/distribution</c> (JSON: its processing-time histogram over the last minute,
    /// from the difference of two all-time histograms), <c>{prefix}/histograms</c> (JSON: its all-time histograms in
    /// the wire format of <see cref="BatchStatsJson.Serialize(BatchStatsHistograms)"/>, which
    /// <see cref="BatchStatsJson.DeserializeHistograms"/> reads back exactly, to merge a fleet's by hand) and
    /// <c>{prefix}/</c> (the dashboard page, <see cref="BatchStatsDashboardPage"/>).
    /// </summary>
    /// <param name="endpoints">The route builder (e.g. the <c>WebApplication</c>).</param>
    /// <param name="prefix">The path prefix; default <c>/batchstats</c>.</param>
    /// <param name="exposition">
    /// The Prometheus exposition's metric name prefix, constant labels and classic bucket bounds (see
    /// <see cref="PrometheusExportOptions"/>); default: its defaults. The label <c>tracker</c> is the endpoint's own.
    /// </param>
    /// <returns>The group of endpoints, for conventions such as authorization.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="endpoints"/> or <paramref name="prefix"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="exposition"/> is invalid (checked here, not at the first scrape).</exception>
    /// <exception cref="InvalidOperationException">No tracker was registered with <c>AddBatchStats</c>.</exception>
    public static IEndpointConventionBuilder MapBatchStats(this IEndpointRouteBuilder endpoints, string prefix = "/batchstats", PrometheusExportOptions? exposition = null)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        BatchStatsTrackerNames names = endpoints.ServiceProvider.GetService<BatchStatsTrackerNames>() is { Count: > 0 } n
            ? n
            : throw new InvalidOperationException("Register a tracker with services.AddBatchStats(name) before MapBatchStats.");
        if (exposition is not null)
        {
            Validate(exposition);
        }

        RouteGroupBuilder group = endpoints.MapGroup(prefix);
        // RequestDelegate handlers (HttpContext in, Task out): no delegate reflection, so trimmed and NativeAOT apps map them as they are.
        group.MapGet("/metrics", context => Metrics(context, names, exposition));
        group.MapGet("/stats", context => Stats(context, names));
        group.MapGet("/history", context => History(context, names, static h => h.ToJson()));
        group.MapGet("/distribution", context => History(context, names, static h => h.DistributionJson()));
        group.MapGet("/histograms", context => Histograms(context, names));
        group.MapGet("/", static context =>
        {
            string path = context.Request.PathBase + context.Request.Path;
            return (path.EndsWith('/')
                ? Results.Content(BatchStatsDashboardPage.Html, "text/html; charset=utf-8")
                : Results.Redirect(path + "/" + context.Request.QueryString)).ExecuteAsync(context); // the page fetches 'stats' relative to itself
        });
        return group;
    }

    /// <summary>
    /// Runs the exporter's own checks of <paramref name="exposition"/> once, on a throwaway tracker, so a bad prefix,
    /// label or bucket list fails where it is mapped rather than at every scrape.
    /// </summary>
    private static void Validate(PrometheusExportOptions exposition)
    {
        try
        {
            BatchStatsPrometheus.Write(TextWriter.Null, new Dictionary<string, LockFreeBatchStats> { ["check"] = new(1, 0) }, exposition);
        }
        catch (ArgumentException e)
        {
            // The exporter names its own parameter ('options'); the message without that suffix, under this method's name.
            throw new ArgumentException(e.Message.Replace($" (Parameter '{e.ParamName}')", string.Empty, StringComparison.Ordinal), nameof(exposition), e);
        }
    }

    private static async Task Metrics(HttpContext context, BatchStatsTrackerNames names, PrometheusExportOptions? exposition)
    {
        var trackers = new Dictionary<string, LockFreeBatchStats>(names.Count);
        foreach (string name in names)
        {
            trackers[name] = context.RequestServices.GetRequiredKeyedService<LockFreeBatchStats>(name);
        }

        using var buffer = new MemoryStream();
        string contentType;
        if (BatchStatsPrometheus.AcceptsProtobuf(context.Request.Headers.Accept) && context.Request.Query["format"] != "text")
        {
            contentType = BatchStatsPrometheus.ProtobufContentType;
            BatchStatsPrometheus.WriteProtobuf(buffer, trackers, exposition);
        }
        else
        {
            contentType = BatchStatsPrometheus.TextContentType;
            using var text = new StreamWriter(buffer, leaveOpen: true);
            BatchStatsPrometheus.Write(text, trackers, exposition);
        }

        await Send(context, contentType, buffer).ConfigureAwait(false);
    }

    private static Task History(HttpContext context, BatchStatsTrackerNames names, Func<BatchStatsHistory, byte[]> json) =>
        Tracker(context, names) is { } name
            ? Send(context, Json, json(context.RequestServices.GetRequiredKeyedService<BatchStatsHistory>(name)))
            : NotFound(context);

    private static Task Histograms(HttpContext context, BatchStatsTrackerNames names) =>
        Tracker(context, names) is { } name
            ? Send(context, Json, Encoding.UTF8.GetBytes(BatchStatsJson.Serialize(context.RequestServices.GetRequiredKeyedService<LockFreeBatchStats>(name).GetHistograms())))
            : NotFound(context);

    private static async Task Stats(HttpContext context, BatchStatsTrackerNames names)
    {
        if (Tracker(context, names) is not { } name)
        {
            await NotFound(context).ConfigureAwait(false);
            return;
        }

        var stats = context.RequestServices.GetRequiredKeyedService<LockFreeBatchStats>(name);
        var monitor = context.RequestServices.GetRequiredKeyedService<BatchStatsMonitor>(name);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            TimeProvider time = context.RequestServices.GetService<TimeProvider>() ?? TimeProvider.System; // the clock the tracker and the history use
            json.WriteNumber("timestamp", time.GetUtcNow().ToUnixTimeMilliseconds() / 1000.0);
            json.WriteString("tracker", name);
            json.WriteString("items", context.RequestServices.GetService<Microsoft.Extensions.Configuration.IConfiguration>()?[$"BatchStats:{name}:Items"] ?? "items");
            json.WriteStartArray("trackers");
            names.ForEach(json.WriteStringValue);
            json.WriteEndArray();
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

        await Send(context, Json, buffer).ConfigureAwait(false);
    }

    /// <summary>The tracker that <c>?tracker=</c> names (the first registered without one), or null when none has that name.</summary>
    private static string? Tracker(HttpContext context, BatchStatsTrackerNames names)
    {
        string name = (string?)context.Request.Query["tracker"] ?? names[0];
        return names.Contains(name) ? name : null;
    }

    /// <summary>404 with a JSON string naming the unknown tracker (written here: no serializer metadata needed under NativeAOT).</summary>
    private static async Task NotFound(HttpContext context)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStringValue($"no BatchStats tracker named '{(string?)context.Request.Query["tracker"]}'");
        }

        await Send(context, Json, buffer, StatusCodes.Status404NotFound).ConfigureAwait(false);
    }

    private static Task Send(HttpContext context, string contentType, MemoryStream body, int status = StatusCodes.Status200OK) =>
        Send(context, contentType, body.GetBuffer().AsMemory(0, (int)body.Length), status);

    /// <summary>Writes a whole response: status, content type and length, then the body.</summary>
    private static Task Send(HttpContext context, string contentType, ReadOnlyMemory<byte> body, int status = StatusCodes.Status200OK)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }
}
