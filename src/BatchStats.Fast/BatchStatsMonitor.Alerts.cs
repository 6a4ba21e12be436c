using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.Extensions.Logging;

namespace BatchStats.Fast;

/// <content>How one figure is judged against its limit, worded and announced (events, then the log).</content>
public sealed partial class BatchStatsMonitor
{
    private void Evaluate(string name, string label, double value, double? limit, bool above, string unit, DateTimeOffset now, List<BatchStatsAlert> raised, List<BatchStatsAlert> cleared, bool judgeable = true)
    {
        _active.TryGetValue(name, out BatchStatsAlert? current);
        string u = unit.Length == 0 ? string.Empty : " " + unit;
        if (limit is not { } threshold)
        {
            if (current is not null) // its limit was removed (Thresholds replaced): nothing will judge it again
            {
                _active.Remove(name);
                string message = string.Create(CultureInfo.InvariantCulture, $"{label} {Figure(value)}{u} is no longer checked: its threshold was removed");
                cleared.Add(current with { Value = value, Message = message, Time = now });
            }

            return;
        }

        if (!judgeable)
        {
            return; // nothing to judge (throughput with an empty window): keep the current state
        }

        bool breached = above ? value > threshold : value < threshold;
        bool critical = above ? value > threshold * _thresholds.CriticalFactor : value < threshold / _thresholds.CriticalFactor;
        if (breached)
        {
            AlertSeverity severity = critical ? AlertSeverity.Critical : AlertSeverity.Warning;
            string message = string.Create(CultureInfo.InvariantCulture,
                $"{label} {Figure(value)}{u} is {(above ? "above" : "below")} the threshold {Figure(threshold)}{u} ({(critical ? "critical" : "warning")})");
            if (current is null || current.Severity != severity)
            {
                var alert = new BatchStatsAlert(name, severity, value, threshold, message, now);
                _active[name] = alert;
                raised.Add(alert);
            }
            else
            {
                // Still breached at the same severity: no new event, but the active alert shows this check's figure
                // (a dashboard or health check must not show the figure from when it was raised); Time stays the raise time.
                _active[name] = current with { Value = value, Threshold = threshold, Message = message };
            }
        }
        else if (current is not null)
        {
            _active.Remove(name);
            string message = string.Create(CultureInfo.InvariantCulture, $"{label} {Figure(value)}{u} is back within the threshold {Figure(threshold)}{u}");
            cleared.Add(current with { Value = value, Message = message, Time = now });
        }
    }

    /// <summary>
    /// A figure in an alert message: four significant digits (<c>0.1234</c>, <c>66.67</c>), and whole numbers from
    /// 10,000 up (<c>201437</c>), where four significant digits would read as <c>2.014E+05</c>.
    /// </summary>
    internal static string Figure(double value) =>
        Math.Abs(value) is >= 9_999.5 and < 1e15 // from where G4 would round up to 1E+04
            ? value.ToString("F0", CultureInfo.InvariantCulture)
            : value.ToString("G4", CultureInfo.InvariantCulture);

    private void Notify(EventHandler<BatchStatsAlert>? handlers, BatchStatsAlert alert)
    {
        if (handlers is null)
        {
            return;
        }

        foreach (EventHandler<BatchStatsAlert> handler in handlers.GetInvocationList().Cast<EventHandler<BatchStatsAlert>>())
        {
            try
            {
                handler(this, alert);
            }
#pragma warning disable CA1031 // a subscriber's failure must never stop the monitor or the other subscribers
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Interlocked.Increment(ref _handlerFailures); // full fence; off the hot paths
                if (_logger is not null)
                {
                    LogHandlerFailed(_logger, alert.Name, ex);
                }
            }
        }
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Batch stats alert {Name}: {Text}")]
    private static partial void LogWarning(ILogger logger, string name, string text);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Batch stats alert {Name}: {Text}")]
    private static partial void LogCritical(ILogger logger, string name, string text);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "Batch stats alert {Name} cleared: {Text}")]
    private static partial void LogCleared(ILogger logger, string name, string text);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error, Message = "An alert subscriber failed on {Name}")]
    private static partial void LogHandlerFailed(ILogger logger, string name, Exception exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Error, Message = "A batch stats check failed")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);
}
