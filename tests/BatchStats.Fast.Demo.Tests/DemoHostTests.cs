using System;
using System.Globalization;
using System.Linq;
using System.Net.Http;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using Xunit;

namespace BatchStats.Fast.Demo.Tests;

/// <summary>The demo host in-process on a free loopback port (real inference through ONNX Runtime): its endpoints serve real data, and as a process it stops on SIGTERM and refuses a busy port.</summary>
public sealed class DemoHostTests
{
    /// <summary>The console's rates: a fractional <c>--rate</c> is shown as given, not rounded to 0.</summary>
    [Theory]
    [InlineData(0.5, "0.5")]
    [InlineData(0.0, "0")]
    [InlineData(12.345, "12.3")]
    [InlineData(99.94, "99.9")]
    [InlineData(100.4, "100")]
    [InlineData(424276.2, "424276")]
    public void Rate_FractionalBelow100_WholeAbove(double perSecond, string expected) =>
        Assert.Equal(expected, DemoHost.Rate(perSecond));

    /// <summary>The final summary's figures: counts below 10^15 in full, large figures whole, small ones to six significant digits.</summary>
    [Theory]
    [InlineData(1_623_516.0, "1623516")]
    [InlineData(26_045.0, "26045")]
    [InlineData(9_007_199_254_740_991.0, "9.0072E+15")]
    [InlineData(0.0, "0")]
    [InlineData(64.0, "64")]
    [InlineData(63.019047619, "63.019")]
    [InlineData(183_921.4, "183921")]
    [InlineData(19_939.54, "19939.5")]
    [InlineData(0.000342642123, "0.000342642")]
    [InlineData(3.7957e-05, "3.7957E-05")]
    public void SummaryFigure_CountsInFull_OthersToSixDigits(double value, string expected) =>
        Assert.Equal(expected, DemoHost.SummaryFigure(value));

    [Fact]
    public async Task DemoHost_RunsASecond_EndpointsServeRealData()
    {
        await using DemoHost host = await DemoHost.StartAsync(new DemoOptions { Port = 0, Workers = 2, ArrivalRate = 2000 });
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
            var first = BatchStats.Fast.Tests.PrometheusProto.MetricFamily.Parser.ParseDelimitedFrom(body);
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
        Assert.Equal("requests", stats.RootElement.GetProperty("items").GetString());
        Assert.True(s.GetProperty("batch_count").GetDouble() > 0);
        Assert.True(stats.RootElement.GetProperty("analysis").TryGetProperty("performance_trend", out _));
        Assert.Equal(JsonValueKind.Array, stats.RootElement.GetProperty("alerts").ValueKind);

        string page = await http.GetStringAsync("");
        Assert.Contains("<canvas id=\"c-throughput\"", page, StringComparison.Ordinal);
        Assert.Contains("fetch('stats'", page, StringComparison.Ordinal);
        Assert.DoesNotContain("https://", page, StringComparison.Ordinal); // self-contained: no CDN
        string frame = host.ConsoleFrame(); // the first frame: its served rate counts from the start of the traffic
        Assert.Contains("throughput", frame, StringComparison.Ordinal);
        Match served = Regex.Match(frame, @"^  served +([\d.]+) req/s", RegexOptions.Multiline);
        Assert.True(served.Success, frame);
        Assert.True(double.Parse(served.Groups[1].Value, CultureInfo.InvariantCulture) > 0, frame); // it read 0 before a second frame
    }

    /// <summary>
    /// Started as a process, requested as a dashboard and a scraper do, and sent SIGTERM (as containers and service
    /// managers stop it): a final summary and exit 0 within 5 s, and no request logged to the console (four lines per
    /// request scrolled the live view away while the dashboard polled).
    /// </summary>
    [Fact]
    public async Task Demo_Sigterm_StopsGracefullyWithExitCodeZero()
    {
        using var process = StartDemo("--port", "0", "--serve");
        var output = new System.Text.StringBuilder();
        var started = new TaskCompletionSource<string>();
        process.OutputDataReceived += (_, e) =>
        {
            lock (output)
            {
                output.AppendLine(e.Data);
            }

            if (e.Data?.StartsWith("Dashboard: ", StringComparison.Ordinal) == true)
            {
                started.TrySetResult(e.Data["Dashboard: ".Length..].Split(' ')[0]);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Assert.True(await Task.WhenAny(started.Task, Task.Delay(TimeSpan.FromSeconds(60))) == started.Task, "the demo did not start");
        using (var http = new System.Net.Http.HttpClient { BaseAddress = new Uri(await started.Task) })
        {
            foreach (string path in new[] { "stats", "history", "distribution", "metrics" })
            {
                (await http.GetAsync(path)).EnsureSuccessStatusCode();
            }
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(0, Kill(process.Id, 15)); // SIGTERM
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(5)), "the demo did not stop within 5 s of SIGTERM");
        process.WaitForExit(); // drains the redirected output
        Assert.Equal(0, process.ExitCode);
        lock (output)
        {
            string text = output.ToString();
            Assert.Contains("final summary:", text, StringComparison.Ordinal);
            Assert.DoesNotContain("Microsoft.AspNetCore", text, StringComparison.Ordinal);

            // The summary is read after the workers stopped, afresh: it counts every request the demo served and
            // rejected (it was the last console frame's cached snapshot, which missed up to a second of batches).
            Match requests = Regex.Match(text, @"^  requests: [\d,]+ generated, ([\d,]+) served, ([\d,]+) rejected", RegexOptions.Multiline);
            Assert.True(requests.Success, text);
            Assert.Equal(Count(requests.Groups[1].Value), Count(Regex.Match(text, @"^  total_processed +(\d+)$", RegexOptions.Multiline).Groups[1].Value));
            Assert.Equal(Count(requests.Groups[2].Value), Count(Regex.Match(text, @"^  total_errors +(\d+)$", RegexOptions.Multiline).Groups[1].Value));
        }

        static long Count(string digits) => long.Parse(digits, NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// A run to its --duration ends with the overhead line, as the README says: the host's lifetime lines ("Now
    /// listening", "Application is shutting down...", which came after the summary) are not printed.
    /// </summary>
    [Fact]
    public async Task Demo_RunToItsDuration_SummaryLastAndNoLifetimeLines()
    {
        using var process = StartDemo("--port", "0", "--duration", "2", "--rate", "2000");
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(120)));
        Assert.Equal(0, process.ExitCode);
        Assert.Equal(string.Empty, (await errors).Trim());
        Assert.DoesNotContain("Microsoft.Hosting.Lifetime", output, StringComparison.Ordinal);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("Dashboard: http://127.0.0.1:", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("stats overhead: ", lines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_BusyPort_OneLineAndExitCodeTwo()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        using var process = StartDemo("--port", port.ToString(CultureInfo.InvariantCulture), "--duration", "2");
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        string errors = await process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromSeconds(60)));
        Assert.Equal(2, process.ExitCode);
        Assert.Equal($"port {port} is in use; pass --port 0 for any free port", errors.Trim());
        Assert.Equal(string.Empty, (await output).Trim()); // the host's own "failed to start" log with its stack trace went to stdout
    }

    private static System.Diagnostics.Process StartDemo(params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(typeof(DemoHost).Assembly.Location);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }

        return System.Diagnostics.Process.Start(start)!;
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);

    [Fact]
    public void Options_Parse_AndRejectBadInput()
    {
        DemoOptions o = DemoOptions.Parse(["--workers", "3", "--duration", "5", "--port", "0", "--serve", "--rate", "100", "--max-batch", "16", "--max-wait", "0.5", "--bad-share", "0.25", "--model", "m.onnx"]);
        Assert.Equal(3, o.Workers);
        Assert.Equal(TimeSpan.FromSeconds(5), o.Duration);
        Assert.Equal(0, o.Port);
        Assert.True(o.Serve);
        Assert.Equal(100, o.ArrivalRate);
        Assert.Equal(16, o.MaxBatch);
        Assert.Equal(TimeSpan.FromMilliseconds(0.5), o.MaxWait);
        Assert.Equal(0.25, o.BadShare);
        Assert.Equal("m.onnx", o.ModelPath);
        DemoOptions defaults = DemoOptions.Parse([]);
        Assert.Null(defaults.ArrivalRate); // measured at start
        Assert.Equal(64, defaults.MaxBatch);
        Assert.Equal(Environment.ProcessorCount, defaults.Workers);
        Assert.True(DemoOptions.Parse(["--help"]).Help);
        Assert.Contains("--workers", Assert.Throws<ArgumentException>(() => DemoOptions.Parse(["--workers", "0"])).Message, StringComparison.Ordinal);
        Assert.Contains("--rate", Assert.Throws<ArgumentException>(() => DemoOptions.Parse(["--rate", "Infinity"])).Message, StringComparison.Ordinal);
        Assert.Contains("--rate", Assert.Throws<ArgumentException>(() => DemoOptions.Parse(["--rate", "NaN"])).Message, StringComparison.Ordinal);
        Assert.Contains("--bad-share", Assert.Throws<ArgumentException>(() => DemoOptions.Parse(["--bad-share", "1.5"])).Message, StringComparison.Ordinal);
        Assert.Contains("--max-wait", Assert.Throws<ArgumentException>(() => DemoOptions.Parse(["--max-wait", "-1"])).Message, StringComparison.Ordinal);
        Assert.Contains("--model", Assert.Throws<ArgumentException>(() => DemoOptions.Parse(["--model"])).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => DemoOptions.Parse(["--bogus"]));
    }

    /// <summary>
    /// Values the demo cannot run with are refused by name, with the range: before, a duration or wait beyond a
    /// <see cref="TimeSpan"/> or a timer crashed the demo, a port out of range and a non-integer gave messages without
    /// the option, a huge batch warmed up for minutes, and a rate beyond the generator hung its stop.
    /// </summary>
    [Theory]
    [InlineData("--duration", "1e10", "--duration must be a number above 0 and at most 4000000; it was '1e10'")]
    [InlineData("--duration", "1e300", "--duration must be a number above 0 and at most 4000000; it was '1e300'")]
    [InlineData("--duration", "0", "--duration must be a number above 0 and at most 4000000; it was '0'")]
    [InlineData("--max-wait", "1e300", "--max-wait must be a number from 0 to 60000; it was '1e300'")]
    [InlineData("--max-wait", "abc", "--max-wait must be a number from 0 to 60000; it was 'abc'")]
    [InlineData("--rate", "1e300", "--rate must be a number above 0 and at most 10000000; it was '1e300'")]
    [InlineData("--rate", "NaN", "--rate must be a number above 0 and at most 10000000; it was 'NaN'")]
    [InlineData("--bad-share", "-0.1", "--bad-share must be a number from 0 to 1; it was '-0.1'")]
    [InlineData("--port", "99999", "--port must be a whole number from 0 to 65535; it was '99999'")]
    [InlineData("--port", "-1", "--port must be a whole number from 0 to 65535; it was '-1'")]
    [InlineData("--max-batch", "1025", "--max-batch must be a whole number from 1 to 1024; it was '1025'")]
    [InlineData("--max-batch", "1e3", "--max-batch must be a whole number from 1 to 1024; it was '1e3'")]
    [InlineData("--workers", "257", "--workers must be a whole number from 1 to 256; it was '257'")]
    [InlineData("--workers", "99999999999", "--workers must be a whole number from 1 to 256; it was '99999999999'")]
    public void Options_OutOfRange_RefusedNamingTheOptionAndRange(string option, string value, string message)
    {
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => DemoOptions.Parse([option, value])).Message);
    }

    [Fact]
    public void Options_RangeEnds_Accepted()
    {
        DemoOptions o = DemoOptions.Parse(["--duration", "4000000", "--max-wait", "0", "--rate", "10000000", "--port", "65535", "--max-batch", "1024", "--workers", "256", "--bad-share", "1"]);
        Assert.Equal((TimeSpan.FromSeconds(4_000_000), TimeSpan.Zero, 10_000_000.0, 65_535, 1024, 256, 1.0), (o.Duration, o.MaxWait, o.ArrivalRate!.Value, o.Port, o.MaxBatch, o.Workers, o.BadShare));
        Assert.Equal("--max-batch needs a value", Assert.Throws<ArgumentException>(() => DemoOptions.Parse(["--max-batch"])).Message);
    }
}
