using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace BatchStats.Fast.Hosting;

/// <summary>Creates every registered tracker's instruments and runs its monitor until the host stops.</summary>
internal sealed class BatchStatsHostedService(IServiceProvider services, BatchStatsTrackerNames names) : BackgroundService
{
    /// <summary>Creates the trackers, their instruments and monitors before the host has started, then runs the monitors in the background.</summary>
    /// <remarks>
    /// Since .NET 10, <see cref="BackgroundService"/> runs all of <see cref="ExecuteAsync"/> on the thread pool, so
    /// instruments created there could appear after <c>StartAsync</c> returned: a collection right after start (a
    /// test, an OpenTelemetry flush) would miss them. Created here, they exist before any later service starts, and
    /// a bad configuration value (a window size, an alert limit, the monitor interval) stops the host's start with
    /// an exception naming it, instead of failing a background service after the application started.
    /// </remarks>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        WarnOfUnregisteredSections();
        foreach (string name in names)
        {
            services.GetRequiredKeyedService<BatchStatsInstruments>(name);
            services.GetRequiredKeyedService<BatchStatsMonitor>(name);
        }

        return base.StartAsync(cancellationToken);
    }

    /// <summary>
    /// Logs a warning for each section under <c>BatchStats</c> that names no registered tracker (a misspelled
    /// tracker name would otherwise leave every setting in it unused without a word). A warning, not a failed start:
    /// one configuration file may serve several applications that register different trackers.
    /// </summary>
    private void WarnOfUnregisteredSections()
    {
        if (services.GetService<IConfiguration>() is not { } configuration)
        {
            return;
        }

        ILogger? logger = null;
        foreach (IConfigurationSection section in configuration.GetSection("BatchStats").GetChildren())
        {
            // A name with a ':' ("gpu:0") is a nested section in configuration: its first part is a child here.
            if (!names.Any(n => n.Equals(section.Key, StringComparison.OrdinalIgnoreCase) || n.StartsWith(section.Key + ":", StringComparison.OrdinalIgnoreCase)))
            {
                logger ??= services.GetRequiredService<ILoggerFactory>().CreateLogger("BatchStats.Fast.Hosting");
                HostingLog.UnregisteredSection(logger, section.Path, string.Join(", ", names));
            }
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        return Task.WhenAll(names.Select(name => services.GetRequiredKeyedService<BatchStatsMonitor>(name).RunAsync(stoppingToken))
            .Append(SampleHistoryAsync(stoppingToken)));
    }

    /// <summary>Once a second, each tracker's figures into its history ring (the dashboard's charts).</summary>
    private async Task SampleHistoryAsync(CancellationToken token)
    {
        TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        while (!token.IsCancellationRequested)
        {
            foreach (string name in names)
            {
                var tracker = services.GetRequiredKeyedService<LockFreeBatchStats>(name);
                services.GetRequiredKeyedService<BatchStatsHistory>(name).Add(time.GetUtcNow(), tracker.GetStats(), tracker.GetHistograms().ProcessingTime);
            }

            try
            {
                await Task.Delay(TimeSpan.FromSeconds(1), time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
