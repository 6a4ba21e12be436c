using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace BatchStats.Fast.Hosting;

/// <summary>Healthy with no active alert, Degraded with a warning, Unhealthy with a critical one; the alerts in its data.</summary>
internal sealed class BatchStatsHealthCheck(BatchStatsMonitor monitor) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<BatchStatsAlert> alerts = monitor.CheckAlerts(); // current: checks now rather than waiting for the monitor's next tick
        var data = alerts.ToDictionary(a => a.Name, a => (object)a.Message);
        HealthCheckResult result = alerts.Any(a => a.Severity == AlertSeverity.Critical)
            ? HealthCheckResult.Unhealthy(Describe(alerts), data: data)
            : alerts.Count > 0 ? HealthCheckResult.Degraded(Describe(alerts), data: data) : HealthCheckResult.Healthy("no active alert", data);
        return Task.FromResult(result);
    }

    private static string Describe(IReadOnlyList<BatchStatsAlert> alerts) => string.Join("; ", alerts.Select(a => a.Message));
}
