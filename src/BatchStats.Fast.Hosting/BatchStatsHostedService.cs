using System;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace BatchStats.Fast.Hosting;

/// <summary>Creates every registered tracker's instruments and runs its monitor until the host stops.</summary>
internal sealed class BatchStatsHostedService(IServiceProvider services, BatchStatsTrackerNames names) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        foreach (string name in names)
        {
            services.GetRequiredKeyedService<BatchStatsInstruments>(name); // created now: listeners see them from the start
        }

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
