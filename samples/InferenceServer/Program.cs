using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;
using BatchStats.Fast;
using BatchStats.Fast.Demo;
using Microsoft.Extensions.Logging;

DemoOptions options;
try
{
    options = DemoOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(DemoOptions.Usage);
    return 2;
}

if (options.Help)
{
    Console.WriteLine(DemoOptions.Usage);
    return 0;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cancel.Cancel();
};

// Containers and service managers stop a service with SIGTERM: stop as on Ctrl+C (drain, summary, exit 0).
using PosixSignalRegistration sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    cancel.Cancel();
});

// Log lines and the live frame share the terminal through LiveConsole: logs scroll above the frame.
var console = new LiveConsole(Console.Out, live: !Console.IsOutputRedirected, width: () => Console.WindowWidth);

// The host logs a failed start at Error with the whole stack trace before StartAsync throws it; the catch below
// reports a busy port in one line, and any other start failure still surfaces as the exception. Critical stays on, so
// a background service that fails later is still logged as it stops the host.
using ILoggerFactory logging = LoggerFactory.Create(b => b
    .AddProvider(new LiveConsoleLoggerProvider(console))
    .SetMinimumLevel(LogLevel.Information)
    .AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical)
    .AddFilter("Microsoft.AspNetCore", LogLevel.Warning) // no per-request lines: the polling dashboard made 12 a second and scrolled the live view away
    .AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning)); // the Dashboard: line gives the address; "Application is shutting down..." came after the summary
DemoHost host;
try
{
    host = await DemoHost.StartAsync(options, logging);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message); // --model: a missing file or a model of another shape
    return 2;
}
catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } || ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
{
    Console.Error.WriteLine($"port {options.Port} is in use; pass --port 0 for any free port");
    return 2;
}

await using DemoHost _ = host;
Console.WriteLine($"Dashboard: {host.Address}   Prometheus: {host.Address}metrics   JSON: {host.Address}stats");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Model: {host.Model.Path} [N,{host.Model.Features}]->[N,{host.Model.Outputs}]; capacity measured {host.Capacity:F0} requests/s; steady load {DemoHost.Rate(host.SteadyRate)}/s"));
if (!options.Serve)
{
    cancel.CancelAfter(options.Duration);
}

while (!cancel.IsCancellationRequested)
{
    try
    {
        await Task.Delay(1000, cancel.Token);
    }
    catch (OperationCanceledException)
    {
        break;
    }

    console.WriteFrame(host.ConsoleFrame());
}

console.EndFrames(); // the last frame stays; the summary and any late log line go below it

await host.StopLoadAsync(TimeSpan.FromSeconds(1)); // serve the queue for up to a second, then leave the rest
host.Stats.InvalidateCache(); // the last frame's snapshot may be up to CacheValidTime old: the summary counts every batch served
Console.WriteLine();
Console.WriteLine("final summary:");
foreach ((string key, double value) in host.Stats.GetStats().ToDictionary())
{
    Console.WriteLine($"  {key,-24} {DemoHost.SummaryFigure(value)}");
}

BatchStatsAnalysis analysis = host.Stats.GetComprehensiveStats();
Console.WriteLine($"  {"efficiency_score",-24} {analysis.EfficiencyScore.ToString("F3", CultureInfo.InvariantCulture)}");
Console.WriteLine($"  {"utilization",-24} {analysis.Utilization.ToString("F3", CultureInfo.InvariantCulture)}");
Console.WriteLine($"  {"bottlenecks",-24} {string.Join(", ", analysis.Bottlenecks.Select(b => b.Name))}");
Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  requests: {host.Generated:N0} generated, {host.Served:N0} served, {host.Rejected:N0} rejected, {host.Shed:N0} shed (backlog full), {host.Queue.Count:N0} left queued"));
Console.WriteLine(host.OverheadDetail);
Console.WriteLine(host.OverheadLine);
return 0;
