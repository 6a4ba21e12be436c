// NativeAOT web smoke test: the BatchStats.Fast.Hosting package in a trimmed, natively compiled ASP.NET Core app (the
// `webapiaot` template's CreateSlimBuilder). Two trackers bound from configuration (generated binding code), their
// monitor and health check, and every MapBatchStats endpoint (once more under a prefix of its own with exposition
// options), fetched over a real socket. Prints "AOT web smoke: ok" and exits 0 only when every response has the
// expected content.
using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Net;
using System.Net.Http;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Threading.Tasks;
using BatchStats.Fast;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.Logging.ClearProviders(); // the alert it provokes on purpose would log as an error; failures are listed at the end
builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
{
    ["BatchStats:inference:WindowSize"] = "256",
    ["BatchStats:inference:CacheValidTime"] = "00:00:00",
    ["BatchStats:inference:MaxSampleAge"] = "00:05:00",
    ["BatchStats:inference:HistogramScale"] = "4",
    ["BatchStats:inference:InvalidSamplePolicy"] = "Drop",
    ["BatchStats:inference:Items"] = "requests",
    ["BatchStats:inference:MonitorInterval"] = "00:00:00.100",
    ["BatchStats:inference:Alerts:MaxQueueLength"] = "10",
    ["BatchStats:inference:Alerts:CriticalFactor"] = "1.5",
    ["BatchStats:batch:CacheValidTime"] = "00:00:00",
});
builder.Services.AddBatchStats("inference").AddBatchStats("batch");
builder.Services.AddHealthChecks().AddBatchStats("inference");

WebApplication app = builder.Build();
app.MapBatchStats();
app.MapBatchStats("/custom", new PrometheusExportOptions { Prefix = "inference", ConstantLabels = new Dictionary<string, string> { ["service"] = "aot" } });
app.MapHealthChecks("/health");
await app.StartAsync();

var failures = new List<string>();
void Check(bool ok, string what)
{
    if (!ok)
    {
        failures.Add(what);
    }
}

var inference = app.Services.GetRequiredKeyedService<LockFreeBatchStats>("inference");
BatchStatsOptions o = inference.Options;
Check((o.WindowSize, o.CacheValidTime, o.MaxSampleAge, o.HistogramScale, o.InvalidSamplePolicy)
    == (256, TimeSpan.Zero, TimeSpan.FromMinutes(5), 4, InvalidSamplePolicy.Drop), "options bound from configuration");
for (int i = 0; i < 100; i++)
{
    inference.Update(0.001 * (1 + (i % 10)), 8, 0.0005, 0.002, i % 40); // queue lengths up to 39: critical over 15
}

inference.Update(double.NaN, 8, 0, 0, 0); // dropped and counted (the Drop policy from configuration)
app.Services.GetRequiredKeyedService<LockFreeBatchStats>("batch").Update(0.02, 4, 0, 0.03, 0);

string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(address) };

string health = "";
var waited = Stopwatch.StartNew();
while (health != "Unhealthy" && waited.Elapsed < TimeSpan.FromSeconds(10)) // the monitor checks every 100 ms
{
    await Task.Delay(50);
    health = await (await http.GetAsync("/health")).Content.ReadAsStringAsync();
}

Check(health == "Unhealthy", $"health check: {health}");

string text = await http.GetStringAsync("/batchstats/metrics");
Check(text.Contains("batch_batches_total{tracker=\"inference\"} 100", StringComparison.Ordinal)
    && text.Contains("batch_batches_total{tracker=\"batch\"} 1", StringComparison.Ordinal)
    && text.Contains("batch_rejected_samples_total{tracker=\"inference\"} 1", StringComparison.Ordinal), "metrics, text");

using var protobufRequest = new HttpRequestMessage(HttpMethod.Get, "/batchstats/metrics");
protobufRequest.Headers.Accept.Add(MediaTypeWithQualityHeaderValue.Parse(BatchStatsPrometheus.ProtobufContentType)); // what a Prometheus server asks for
using HttpResponseMessage protobuf = await http.SendAsync(protobufRequest);
byte[] protobufBody = await protobuf.Content.ReadAsByteArrayAsync();
Check(protobuf.Content.Headers.ContentType?.MediaType == "application/vnd.google.protobuf" && protobufBody.Length > 100, "metrics, protobuf");

Check((await http.GetStringAsync("/custom/metrics")).Contains("inference_batches_total{service=\"aot\",tracker=\"inference\"} 100", StringComparison.Ordinal), "metrics with exposition options");

using (JsonDocument stats = JsonDocument.Parse(await http.GetStringAsync("/batchstats/stats")))
{
    JsonElement root = stats.RootElement;
    Check(root.GetProperty("tracker").GetString() == "inference"
        && root.GetProperty("items").GetString() == "requests"
        && root.GetProperty("stats").GetProperty("batch_count").GetDouble() == 100
        && root.GetProperty("trackers").GetArrayLength() == 2
        && root.GetProperty("alerts").EnumerateArray().Any(a => a.GetProperty("severity").GetString() == "critical"), "stats");
}

using (JsonDocument other = JsonDocument.Parse(await http.GetStringAsync("/batchstats/stats?tracker=batch")))
{
    Check(other.RootElement.GetProperty("stats").GetProperty("batch_count").GetDouble() == 1, "stats of the second tracker");
}

using (HttpResponseMessage missing = await http.GetAsync("/batchstats/stats?tracker=zzz"))
{
    using JsonDocument message = JsonDocument.Parse(await missing.Content.ReadAsStringAsync());
    Check(missing.StatusCode == HttpStatusCode.NotFound && message.RootElement.GetString() == "no BatchStats tracker named 'zzz'", "unknown tracker");
}

using (JsonDocument history = JsonDocument.Parse(await http.GetStringAsync("/batchstats/history")))
{
    Check(history.RootElement.ValueKind == JsonValueKind.Array, "history");
}

using (JsonDocument distribution = JsonDocument.Parse(await http.GetStringAsync("/batchstats/distribution")))
{
    Check(distribution.RootElement.ValueKind != JsonValueKind.Undefined, "distribution");
}

BatchStatsHistograms served = BatchStatsJson.DeserializeHistograms(await http.GetStringAsync("/batchstats/histograms"));
Check(served.ProcessingTime.Count == 100 && served.Latency.Count == 100 && served.ProcessingTime.Scale == 4, "histograms");

using (HttpResponseMessage redirect = await http.GetAsync("/batchstats"))
{
    Check(redirect.StatusCode == HttpStatusCode.Redirect && redirect.Headers.Location?.OriginalString == "/batchstats/", "dashboard redirect");
}

Check((await http.GetStringAsync("/batchstats/")).Contains("live dashboard", StringComparison.Ordinal), "dashboard page");

await app.StopAsync();
Console.WriteLine(failures.Count == 0 ? "AOT web smoke: ok" : "AOT web smoke: failed: " + string.Join(", ", failures));
return failures.Count == 0 ? 0 : 1;
