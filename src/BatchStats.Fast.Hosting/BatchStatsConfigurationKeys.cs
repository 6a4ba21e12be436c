using System;
using System.Linq;
using Microsoft.Extensions.Configuration;

namespace BatchStats.Fast.Hosting;

/// <summary>
/// The keys a tracker's configuration section may hold. The configuration binder ignores a key it does not know, so a
/// misspelled <c>WindowSise</c> or <c>MaxProcesingTime</c> would leave a default in force without a word; the
/// hosting package refuses such a key instead, naming it and the keys it takes.
/// </summary>
internal static class BatchStatsConfigurationKeys
{
    /// <summary>
    /// The keys of <c>BatchStats:{name}</c>: the bindable <see cref="BatchStatsOptions"/>, the monitor's interval and
    /// limits, and what the tracker's items are (a word the JSON endpoint and the dashboard show).
    /// </summary>
    public static readonly string[] Tracker =
    [
        nameof(BatchStatsOptions.WindowSize),
        nameof(BatchStatsOptions.CacheValidTime),
        nameof(BatchStatsOptions.MaxSampleAge),
        nameof(BatchStatsOptions.HistogramScale),
        nameof(BatchStatsOptions.InvalidSamplePolicy),
        "MonitorInterval",
        "Alerts",
        "Items",
    ];

    /// <summary>The keys of <c>BatchStats:{name}:Alerts</c>: the properties of <see cref="AlertThresholds"/>.</summary>
    public static readonly string[] Alerts =
    [
        nameof(AlertThresholds.MaxProcessingTime),
        nameof(AlertThresholds.MinThroughput),
        nameof(AlertThresholds.MaxErrorRate),
        nameof(AlertThresholds.MaxQueueLength),
        nameof(AlertThresholds.MaxP99Latency),
        nameof(AlertThresholds.MaxAvgProcessingTime),
        nameof(AlertThresholds.MaxAvgQueueLength),
        nameof(AlertThresholds.CriticalFactor),
    ];

    /// <summary>
    /// The message for the first key of <paramref name="section"/> that is not one of <paramref name="known"/>
    /// (compared as configuration compares keys, ignoring case), or null when every key is known. A key with neither a
    /// value nor children is skipped: it sets nothing.
    /// </summary>
    public static string? FindUnknown(IConfigurationSection section, string[] known)
    {
        foreach (IConfigurationSection child in section.GetChildren())
        {
            bool empty = child.Value is null && !child.GetChildren().Any(); // a key set to null says nothing (a memory source's removed key)
            if (!empty && !known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                return $"{child.Path} is not a BatchStats setting; {section.Path} takes {string.Join(", ", known)}.";
            }
        }

        return null;
    }
}
