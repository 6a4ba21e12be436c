using System;
using System.Collections.Generic;
using System.Diagnostics.Metrics;
using System.Globalization;
using BatchStats.Fast;
using BatchStats.Fast.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers named <see cref="LockFreeBatchStats"/> trackers with the Generic Host / ASP.NET Core.</summary>
public static class BatchStatsServiceCollectionExtensions
{
    /// <summary>
    /// Registers a tracker named <paramref name="name"/>: the keyed singleton <see cref="LockFreeBatchStats"/>
    /// (<c>GetRequiredKeyedService&lt;LockFreeBatchStats&gt;(name)</c>), its <see cref="BatchStatsOptions"/> bound
    /// from the configuration section <c>BatchStats:{name}</c> (then <paramref name="configure"/>), its instruments
    /// on a <see cref="Meter"/> named <c>BatchStats.Fast</c> from <see cref="IMeterFactory"/> with the tag
    /// <c>batchstats.tracker = name</c>, and a hosted service that runs its <see cref="BatchStatsMonitor"/> with the
    /// thresholds in <c>BatchStats:{name}:Alerts</c> (followed when the configuration is reloaded), logging alerts
    /// through <see cref="ILogger"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The tracker's name (a key, a tag and a label value).</param>
    /// <param name="configure">Adjusts the options after configuration binding.</param>
    /// <returns><paramref name="services"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="name"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty or already registered.</exception>
    /// <remarks>
    /// The tracker is built on first use from the options as they are then (a tracker copies its options); the
    /// monitor checks every <c>BatchStats:{name}:MonitorInterval</c> (a <see cref="TimeSpan"/>, default one second)
    /// on the registered <see cref="TimeProvider"/> if there is one.
    /// </remarks>
    public static IServiceCollection AddBatchStats(this IServiceCollection services, string name, Action<BatchStatsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        BatchStatsTrackerNames names = Names(services);
        if (names.Contains(name))
        {
            throw new ArgumentException($"A BatchStats tracker named '{name}' is already registered.", nameof(name));
        }

        names.Add(name);
        services.AddMetrics();
        services.AddLogging(); // the tracker and the monitor log; a no-op when the host already added it
        OptionsBuilder<BatchStatsOptions> options = services.AddOptions<BatchStatsOptions>(name)
            .Configure<IServiceProvider>((o, sp) => o.TimeProvider = sp.GetService<TimeProvider>() ?? o.TimeProvider)
            .BindConfiguration($"BatchStats:{name}"); // the binding generator's code, not reflection; TimeProvider comes from the line above
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddOptions<AlertThresholds>(name).BindConfiguration($"BatchStats:{name}:Alerts");
        services.AddKeyedSingleton(name, static (sp, key) => CreateTracker(sp, (string)key!));
        services.AddKeyedSingleton(name, static (sp, key) => CreateMonitor(sp, (string)key!));
        services.AddKeyedSingleton(name, static (sp, key) => CreateInstruments(sp, (string)key!));
        services.AddKeyedSingleton<BatchStatsHistory>(name);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, BatchStatsHostedService>());
        return services;
    }

    private static BatchStatsTrackerNames Names(IServiceCollection services)
    {
        foreach (ServiceDescriptor d in services)
        {
            if (d.ServiceType == typeof(BatchStatsTrackerNames) && d.ImplementationInstance is BatchStatsTrackerNames existing)
            {
                return existing;
            }
        }

        var names = new BatchStatsTrackerNames();
        services.AddSingleton(names);
        return names;
    }

    /// <summary>The tracker; an option it refuses is reported under its configuration key, so a host with several trackers says which.</summary>
    private static LockFreeBatchStats CreateTracker(IServiceProvider sp, string name)
    {
        if (sp.GetService<IConfiguration>()?.GetSection($"BatchStats:{name}") is { } section
            && (BatchStatsConfigurationKeys.FindUnknown(section, BatchStatsConfigurationKeys.Tracker)
                ?? BatchStatsConfigurationKeys.FindUnknown(section.GetSection("Alerts"), BatchStatsConfigurationKeys.Alerts)) is { } unknown)
        {
            throw new InvalidOperationException(unknown);
        }

        IOptionsMonitor<BatchStatsOptions> options = sp.GetRequiredService<IOptionsMonitor<BatchStatsOptions>>();
        LockFreeBatchStats tracker;
        try
        {
            tracker = new LockFreeBatchStats(options.Get(name));
        }
        catch (ArgumentException e) when (e.ParamName is { } param && param.StartsWith("options.", StringComparison.Ordinal))
        {
            string message = e.Message.Replace($" (Parameter '{param}')", string.Empty, StringComparison.Ordinal).ReplaceLineEndings(" ");
            throw new InvalidOperationException($"BatchStats:{name}:{param["options.".Length..]}: {message}", e);
        }

        // A tracker keeps the options it was created with (its rings are sized by them): a reload that changes one is
        // said, rather than seeming to take effect. The registration lives as long as the container.
        ILogger logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger($"BatchStats.Fast.{name}");
        options.OnChange((changed, changedName) =>
        {
            if (changedName == name && ChangedOptions(tracker.Options, changed) is { Length: > 0 } differences)
            {
                HostingLog.ReloadedOptionsNotApplied(logger, name, differences);
            }
        });
        return tracker;
    }

    /// <summary>The bindable options that differ, as "WindowSize 1000 -> 500, ..." (empty when none does).</summary>
    private static string ChangedOptions(BatchStatsOptions inForce, BatchStatsOptions reloaded)
    {
        var differences = new List<string>();
        void Compare<T>(string key, T now, T then)
        {
            if (!EqualityComparer<T>.Default.Equals(now, then))
            {
                differences.Add(string.Create(CultureInfo.InvariantCulture, $"{key} {(object?)now ?? "none"} -> {(object?)then ?? "none"}"));
            }
        }

        Compare(nameof(BatchStatsOptions.WindowSize), inForce.WindowSize, reloaded.WindowSize);
        Compare(nameof(BatchStatsOptions.CacheValidTime), inForce.CacheValidTime, reloaded.CacheValidTime);
        Compare(nameof(BatchStatsOptions.MaxSampleAge), inForce.MaxSampleAge, reloaded.MaxSampleAge);
        Compare(nameof(BatchStatsOptions.HistogramScale), inForce.HistogramScale, reloaded.HistogramScale);
        Compare(nameof(BatchStatsOptions.InvalidSamplePolicy), inForce.InvalidSamplePolicy, reloaded.InvalidSamplePolicy);
        return string.Join(", ", differences);
    }

    private static BatchStatsMonitor CreateMonitor(IServiceProvider sp, string name)
    {
        var tracker = sp.GetRequiredKeyedService<LockFreeBatchStats>(name);
        AlertThresholds thresholds = sp.GetRequiredService<IOptionsMonitor<AlertThresholds>>().Get(name);
        string? text = sp.GetService<IConfiguration>()?[$"BatchStats:{name}:MonitorInterval"];
        TimeSpan interval = TimeSpan.FromSeconds(1); // without a setting; TryParse below overwrites it when there is one
        if (!string.IsNullOrEmpty(text) && (!TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out interval) || interval <= TimeSpan.Zero))
        {
            throw new InvalidOperationException($"BatchStats:{name}:MonitorInterval must be a positive time span; it was '{text}'.");
        }

        ILogger logger = sp.GetRequiredService<ILoggerFactory>().CreateLogger($"BatchStats.Fast.{name}");
        BatchStatsMonitor monitor;
        try
        {
            monitor = new BatchStatsMonitor(tracker, thresholds, interval, sp.GetService<TimeProvider>(), logger);
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName == "interval")
        {
            throw new InvalidOperationException($"BatchStats:{name}:MonitorInterval must be a positive time span of at most about 49.7 days (the longest .NET timer); it was '{text}'.", e);
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidOperationException($"BatchStats:{name}:Alerts: {e.Message}", e);
        }

        // Reloaded configuration reaches the running monitor (the registration lives as long as the container); a
        // reload with a bad limit is logged and leaves the limits in force.
        sp.GetRequiredService<IOptionsMonitor<AlertThresholds>>().OnChange((changed, changedName) =>
        {
            if (changedName == name)
            {
                if (sp.GetService<IConfiguration>()?.GetSection($"BatchStats:{name}:Alerts") is { } alerts
                    && BatchStatsConfigurationKeys.FindUnknown(alerts, BatchStatsConfigurationKeys.Alerts) is { } unknown)
                {
                    HostingLog.ReloadedLimitsIgnored(logger, null, name, unknown);
                    return;
                }

                try
                {
                    monitor.Thresholds = changed;
                }
                catch (ArgumentOutOfRangeException e)
                {
                    HostingLog.ReloadedLimitsIgnored(logger, e, name, e.Message);
                }
            }
        });
        return monitor;
    }

    private static BatchStatsInstruments CreateInstruments(IServiceProvider sp, string name)
    {
        Meter meter = sp.GetRequiredService<IMeterFactory>().Create(
            new MeterOptions(BatchStatsTrackerNames.MeterName) { Tags = [new KeyValuePair<string, object?>("batchstats.tracker", name)] });
        return BatchStatsInstruments.Create(sp.GetRequiredKeyedService<LockFreeBatchStats>(name), meter);
    }
}
