using System;
using BatchStats.Fast;
using BatchStats.Fast.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

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
    public static IHealthChecksBuilder AddBatchStats(this IHealthChecksBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return builder.Add(new HealthCheckRegistration(
            $"batchstats-{name}",
            sp => new BatchStatsHealthCheck(sp.GetRequiredKeyedService<BatchStatsMonitor>(name)),
            failureStatus: null,
            tags: ["batchstats"]));
    }
}
