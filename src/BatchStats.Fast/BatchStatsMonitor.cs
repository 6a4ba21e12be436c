using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;

namespace BatchStats.Fast;

/// <summary>
/// Checks an <see cref="IBatchStats"/> against <see cref="AlertThresholds"/> periodically (or on demand) and raises
/// each alert once when a limit is crossed and clears it once on recovery.
/// </summary>
/// <remarks>
/// <para>The monitor only reads snapshots (<see cref="IBatchStats.GetStats"/>), so it never blocks or slows a writer.
/// It is off the record and read paths and uses an ordinary lock for its own state.</para>
/// <para>A breach raises <see cref="AlertRaised"/> once; a change of severity (warning ↔ critical) raises it again with
/// the new severity; recovery raises <see cref="AlertCleared"/> once. A subscriber that throws is logged and skipped:
/// it never stops the monitor or the other subscribers.</para>
/// <para>Time comes from a <see cref="TimeProvider"/>, so tests can drive it with a fake clock.</para>
/// </remarks>
public sealed partial class BatchStatsMonitor : IDisposable
{
    private readonly IBatchStats _stats;
    private AlertThresholds _thresholds; // a private copy, replaced whole under _gate (see Thresholds)
    private readonly TimeProvider _time;
    private readonly ILogger? _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, BatchStatsAlert> _active = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private int _disposed;

    /// <summary>
    /// Creates a monitor the way the Python module's recipe did, <c>BatchStatsMonitor(stats, alert_threshold)</c>: one
    /// limit, on the window's mean processing time in seconds (<see cref="AlertThresholds.MaxAvgProcessingTime"/>),
    /// checked every 10 seconds.
    /// </summary>
    /// <param name="stats">The tracker to watch.</param>
    /// <param name="alertThreshold">The mean processing time, in seconds, above which the monitor alerts; positive.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stats"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="alertThreshold"/> is not a positive number.</exception>
    public BatchStatsMonitor(IBatchStats stats, double alertThreshold)
        : this(stats, new AlertThresholds { MaxAvgProcessingTime = PositiveOrThrow(alertThreshold) })
    {
    }

    /// <summary>Creates a monitor.</summary>
    /// <param name="stats">The tracker to watch.</param>
    /// <param name="thresholds">The limits.</param>
    /// <param name="interval">Time between periodic checks; default 10 seconds; positive.</param>
    /// <param name="timeProvider">The clock; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">Optional: alerts are logged as warnings (critical as errors), recoveries as information.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stats"/> or <paramref name="thresholds"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="interval"/> is not positive, or the critical factor is below 1.</exception>
    public BatchStatsMonitor(IBatchStats stats, AlertThresholds thresholds, TimeSpan? interval = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentNullException.ThrowIfNull(thresholds);
        Interval = interval ?? TimeSpan.FromSeconds(10);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Interval, TimeSpan.Zero, nameof(interval));
        if (!(thresholds.CriticalFactor >= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(thresholds), thresholds.CriticalFactor, "CriticalFactor must be at least 1.");
        }

        _stats = stats;
        _thresholds = Copy(thresholds);
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger;
    }

    /// <summary>Raised when a limit is crossed (or an active alert changes severity).</summary>
    public event EventHandler<BatchStatsAlert>? AlertRaised;

    /// <summary>Raised once when a breached figure is back within its limit.</summary>
    public event EventHandler<BatchStatsAlert>? AlertCleared;

    /// <summary>Time between periodic checks.</summary>
    public TimeSpan Interval { get; }

    /// <summary>How many subscriber calls threw (they are logged and skipped).</summary>
    public int HandlerFailures => Volatile.Read(ref _handlerFailures); // acquire: a count incremented on the monitor's thread, read from any

    private int _handlerFailures;

    /// <summary>The alerts active after the last check.</summary>
    public IReadOnlyList<BatchStatsAlert> ActiveAlerts
    {
        get
        {
            lock (_gate)
            {
                return [.. _active.Values];
            }
        }
    }

    /// <summary>
    /// The limits in force (a copy). Setting it replaces them from the next check on, e.g. when configuration is
    /// reloaded; active alerts are re-judged against the new limits then.
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Its critical factor is below 1.</exception>
    public AlertThresholds Thresholds
    {
        get
        {
            lock (_gate)
            {
                return Copy(_thresholds);
            }
        }

        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (!(value.CriticalFactor >= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(value), value.CriticalFactor, "CriticalFactor must be at least 1.");
            }

            AlertThresholds copy = Copy(value);
            lock (_gate)
            {
                _thresholds = copy;
            }
        }
    }

    private static AlertThresholds Copy(AlertThresholds t) => new()
    {
        MaxProcessingTime = t.MaxProcessingTime,
        MinThroughput = t.MinThroughput,
        MaxErrorRate = t.MaxErrorRate,
        MaxQueueLength = t.MaxQueueLength,
        MaxP99Latency = t.MaxP99Latency,
        MaxAvgProcessingTime = t.MaxAvgProcessingTime,
        MaxAvgQueueLength = t.MaxAvgQueueLength,
        CriticalFactor = t.CriticalFactor,
    };

    private static double PositiveOrThrow(double alertThreshold) =>
        alertThreshold > 0 && double.IsFinite(alertThreshold)
            ? alertThreshold
            : throw new ArgumentOutOfRangeException(nameof(alertThreshold), alertThreshold, "The alert threshold must be a positive number of seconds.");

    /// <summary>Runs one check now: raises and clears alerts as needed.</summary>
    /// <returns>The alerts active after the check.</returns>
    public IReadOnlyList<BatchStatsAlert> CheckAlerts()
    {
        BatchStatsSnapshot s = _stats.GetStats();
        DateTimeOffset now = _time.GetUtcNow();
        var raised = new List<BatchStatsAlert>();
        var cleared = new List<BatchStatsAlert>();
        IReadOnlyList<BatchStatsAlert> active;
        lock (_gate)
        {
            Evaluate("processing_time", "p95 processing time", s.P95ProcessingTime, _thresholds.MaxProcessingTime, above: true, "s", now, raised, cleared);
            Evaluate("throughput", "throughput", s.Throughput, s.WindowCount > 0 ? _thresholds.MinThroughput : null, above: false, "items/s", now, raised, cleared);
            Evaluate("error_rate", "error rate", s.ErrorRate, _thresholds.MaxErrorRate, above: true, "", now, raised, cleared);
            Evaluate("queue_length", "max queue length", s.MaxQueueLength, _thresholds.MaxQueueLength, above: true, "", now, raised, cleared);
            Evaluate("p99_latency", "p99 latency", s.P99Latency, _thresholds.MaxP99Latency, above: true, "s", now, raised, cleared);
            Evaluate("avg_processing_time", "mean processing time", s.AvgProcessingTime, _thresholds.MaxAvgProcessingTime, above: true, "s", now, raised, cleared);
            Evaluate("avg_queue_length", "mean queue length", s.AvgQueueLength, _thresholds.MaxAvgQueueLength, above: true, "", now, raised, cleared);
            active = [.. _active.Values];
        }

        foreach (BatchStatsAlert alert in raised)
        {
            if (alert.Severity == AlertSeverity.Critical)
            {
                if (_logger is not null)
                {
                    LogCritical(_logger, alert.Name, alert.Message);
                }
            }
            else if (_logger is not null)
            {
                LogWarning(_logger, alert.Name, alert.Message);
            }

            Notify(AlertRaised, alert);
        }

        foreach (BatchStatsAlert alert in cleared)
        {
            if (_logger is not null)
            {
                LogCleared(_logger, alert.Name, alert.Message);
            }

            Notify(AlertCleared, alert);
        }

        return active;
    }

    /// <summary>Checks every <see cref="Interval"/> until <paramref name="cancellationToken"/> or <see cref="Stop"/> ends it.</summary>
    /// <param name="cancellationToken">Ends the loop.</param>
    /// <returns>A task that completes when the loop ends (it does not fault on cancellation).</returns>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        CancellationToken token = linked.Token;
        while (!token.IsCancellationRequested)
        {
            CheckAndLogFailure();
            try
            {
                await Task.Delay(Interval, _time, token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Blocks the calling thread, checking every <see cref="Interval"/>, until <see cref="Stop"/> or <see cref="Dispose"/>.</summary>
    /// <remarks>
    /// The synchronous form of the reference class's <c>start_monitoring()</c>: a plain loop on the calling thread,
    /// woken by a timer of the monitor's <see cref="TimeProvider"/> (no task is waited on); prefer
    /// <see cref="RunAsync"/> in async code.
    /// </remarks>
    public void StartMonitoring()
    {
        using var due = new AutoResetEvent(false);
        using ITimer timer = _time.CreateTimer(static state => ((AutoResetEvent)state!).Set(), due, Interval, Interval);
        WaitHandle[] wake = [_stop.Token.WaitHandle, due];
        while (!_stop.IsCancellationRequested)
        {
            CheckAndLogFailure();
            if (WaitHandle.WaitAny(wake) == 0)
            {
                return; // stopped
            }
        }
    }

    /// <summary>One check; a failing one (e.g. a broken <see cref="IBatchStats"/>) is logged and never ends the monitor.</summary>
    private void CheckAndLogFailure()
    {
        try
        {
            CheckAlerts();
        }
#pragma warning disable CA1031 // a failing check must not end the monitor: log and go on
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            if (_logger is not null)
            {
                LogCheckFailed(_logger, ex);
            }
        }
    }

    /// <summary>Ends <see cref="RunAsync"/> and <see cref="StartMonitoring"/> promptly.</summary>
    public void Stop()
    {
        if (Volatile.Read(ref _disposed) == 0) // acquire: pairs with Dispose's store, so a disposed monitor's token is not touched
        {
            _stop.Cancel();
        }
    }

    /// <summary>Stops monitoring and releases the timer resources.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) // full fence: dispose once
        {
            _stop.Cancel();
            _stop.Dispose();
        }
    }

    private void Evaluate(string name, string label, double value, double? limit, bool above, string unit, DateTimeOffset now, List<BatchStatsAlert> raised, List<BatchStatsAlert> cleared)
    {
        if (limit is not { } threshold)
        {
            return; // not configured (or, for throughput, nothing in the window to judge): keep the current state
        }

        _active.TryGetValue(name, out BatchStatsAlert? current);

        bool breached = above ? value > threshold : value < threshold;
        bool critical = above ? value > threshold * _thresholds.CriticalFactor : value < threshold / _thresholds.CriticalFactor;
        string u = unit.Length == 0 ? string.Empty : " " + unit;
        if (breached)
        {
            AlertSeverity severity = critical ? AlertSeverity.Critical : AlertSeverity.Warning;
            if (current is null || current.Severity != severity)
            {
                string message = string.Create(CultureInfo.InvariantCulture,
                    $"{label} {Figure(value)}{u} is {(above ? "above" : "below")} the threshold {Figure(threshold)}{u} ({(critical ? "critical" : "warning")})");
                var alert = new BatchStatsAlert(name, severity, value, threshold, message, now);
                _active[name] = alert;
                raised.Add(alert);
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
