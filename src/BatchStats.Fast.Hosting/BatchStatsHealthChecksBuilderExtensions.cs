using System;
using BatchStats.Fast;
using BatchStats.Fast.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Health checks of <c>AddBatchStats</c> trackers.</summary>
public static class BatchStatsHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a health check named <c>batchstats-{name}</c> for the tracker <paramref name="name"/>: Healthy with no
    /// active alert, Degraded with a warning alert, Unhealthy with a critical one; the active alerts are in its data.
    /// Each check runs the tracker's <see cref="BatchStatsMonitor.CheckAlerts"/> first, so it reports the current state.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="name">A tracker registered with <c>AddBatchStats</c>.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    /// <remarks>
    /// A name no <c>AddBatchStats</c> registered stops the host's start (or, without a host, the first resolution of
    /// <see cref="HealthCheckService"/>) with an <see cref="OptionsValidationException"/> naming it; the registrations
    /// may come in either order, so it is checked then.
    /// </remarks>
    public static IHealthChecksBuilder AddBatchStats(this IHealthChecksBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        builder.Services.AddOptions<HealthCheckServiceOptions>()
            .Validate<IServiceProvider>((_, sp) => sp.GetService<BatchStatsTrackerNames>()?.Contains(name) == true, $"Health check batchstats-{name}: no BatchStats tracker named '{name}' is registered; call services.AddBatchStats(\"{name}\").")
            .ValidateOnStart();
        return builder.Add(new HealthCheckRegistration(
            $"batchstats-{name}",
            sp => new BatchStatsHealthCheck(sp.GetRequiredKeyedService<BatchStatsMonitor>(name)), // registered: checked on start, above
            failureStatus: null,
            tags: ["batchstats"]));
    }
}
