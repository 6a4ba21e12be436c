using System;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Threading.Tasks;
using BatchStats.Fast.Demo;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>The demo host in-process on a free loopback port: its three endpoints serve real data.</summary>
public sealed class DemoHostTests
{
    [Fact]
    public async Task DemoHost_RunsASecond_EndpointsServeRealData()
    {
        await using DemoHost host = await DemoHost.StartAsync(new DemoOptions { Port = 0, Workers = 2, ArrivalRate = 800 });
        Assert.Equal("127.0.0.1", host.Address.Host);
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        using var http = new HttpClient { BaseAddress = host.Address, Timeout = TimeSpan.FromSeconds(30) };

        string metrics = await http.GetStringAsync("metrics");
        foreach (string family in new[] { "batch_batches_total", "batch_processed_items_total", "batch_errors_total", "batch_window_throughput_items_per_second", "batch_processing_time_seconds", "batch_processing_duration_seconds", "batch_latency_seconds" })
        {
            Assert.Contains($"# TYPE {family} ", metrics, StringComparison.Ordinal);
        }

        foreach (string line in metrics.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('#')))
        {
            string value = line[(line.LastIndexOf(' ') + 1)..];
            Assert.True(value is "+Inf" or "-Inf" or "NaN" || double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _), line);
        }

        using (var request = new HttpRequestMessage(HttpMethod.Get, "metrics"))
        {
            request.Headers.TryAddWithoutValidation("Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3");
            using HttpResponseMessage response = await http.SendAsync(request);
            Assert.Equal("application/vnd.google.protobuf", response.Content.Headers.ContentType!.MediaType);
            using var body = new System.IO.MemoryStream(await response.Content.ReadAsByteArrayAsync());
            var first = PrometheusProto.MetricFamily.Parser.ParseDelimitedFrom(body);
            Assert.Equal("batch_batches_total", first.Name);
            Assert.True(first.Metric[0].Counter.Value > 0);
        }

        using JsonDocument stats = JsonDocument.Parse(await http.GetStringAsync("stats"));
        JsonElement s = stats.RootElement.GetProperty("stats");
        foreach (string key in new[] { "avg_processing_time", "median_processing_time", "p95_processing_time", "p99_processing_time", "min_processing_time", "max_processing_time", "avg_batch_size", "min_batch_size", "max_batch_size", "avg_queue_time", "avg_latency", "p95_latency", "p99_latency", "avg_queue_length", "max_queue_length", "throughput", "peak_throughput", "error_rate", "total_errors", "total_processed", "batch_count", "window_count" })
        {
            Assert.True(s.TryGetProperty(key, out _), key);
        }

        Assert.True(s.GetProperty("throughput").GetDouble() > 0);
        Assert.True(s.GetProperty("batch_count").GetDouble() > 0);
        Assert.True(stats.RootElement.GetProperty("analysis").TryGetProperty("performance_trend", out _));
        Assert.Equal(JsonValueKind.Array, stats.RootElement.GetProperty("alerts").ValueKind);

        string page = await http.GetStringAsync("");
        Assert.Contains("<canvas id=\"c-throughput\"", page, StringComparison.Ordinal);
        Assert.Contains("fetch('stats'", page, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", page, StringComparison.Ordinal); // self-contained: no CDN
        Assert.Contains("throughput", host.ConsoleFrame(), StringComparison.Ordinal);
    }

    [Fact]
    public void Options_Parse_AndRejectBadInput()
    {
        DemoOptions o = DemoOptions.Parse(["--workers", "3", "--duration", "5", "--port", "0", "--serve", "--rate", "100"]);
        Assert.Equal(3, o.Workers);
        Assert.Equal(TimeSpan.FromSeconds(5), o.Duration);
        Assert.Equal(0, o.Port);
        Assert.True(o.Serve);
        Assert.True(DemoOptions.Parse(["--help"]).Help);
        Assert.Throws<ArgumentException>(() => DemoOptions.Parse(["--workers", "0"]));
        Assert.Throws<ArgumentException>(() => DemoOptions.Parse(["--bogus"]));
    }
}
