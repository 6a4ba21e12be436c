using System;
using System.Collections.Generic;
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
    private CancellationTokenSource _stop = new(); // the current runs' stop; Stop cancels it and starts a fresh one, under _gate
    private bool _disposed; // under _gate

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
    /// <param name="interval">Time between periodic checks; default 10 seconds; positive, at most 4,294,967,294 ms (about 49.7 days, the longest .NET timer).</param>
    /// <param name="timeProvider">The clock; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="logger">Optional: alerts are logged as warnings (critical as errors), recoveries as information.</param>
    /// <exception cref="ArgumentNullException"><paramref name="stats"/> or <paramref name="thresholds"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="interval"/> is not positive or is too long, a limit is negative, NaN or infinite, or the critical factor is below 1 (the message names the property).</exception>
    public BatchStatsMonitor(IBatchStats stats, AlertThresholds thresholds, TimeSpan? interval = null, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(stats);
        ArgumentNullException.ThrowIfNull(thresholds);
        Interval = interval ?? TimeSpan.FromSeconds(10);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Interval, TimeSpan.Zero, nameof(interval));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(Interval, MaxInterval, nameof(interval)); // else the timers of StartMonitoring and RunAsync would throw at the first wait
        Validate(thresholds, nameof(thresholds));

        _stats = stats;
        _thresholds = Copy(thresholds);
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger;
    }

    /// <summary>The longest interval: .NET timers and <see cref="Task.Delay(TimeSpan, TimeProvider, CancellationToken)"/> wait at most 2^32 - 2 ms.</summary>
    private static readonly TimeSpan MaxInterval = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

    /// <summary>Raised when a limit is crossed (or an active alert changes severity).</summary>
    public event EventHandler<BatchStatsAlert>? AlertRaised;

    /// <summary>Raised once when a breached figure is back within its limit.</summary>
    public event EventHandler<BatchStatsAlert>? AlertCleared;

    /// <summary>Time between periodic checks.</summary>
    public TimeSpan Interval { get; }

    /// <summary>How many subscriber calls threw (they are logged and skipped).</summary>
    public int HandlerFailures => Volatile.Read(ref _handlerFailures); // acquire: a count incremented on the monitor's thread, read from any

    private int _handlerFailures;

    /// <summary>The alerts active after the last check, each with that check's figure and message and the time it was raised.</summary>
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
    /// reloaded; active alerts are re-judged against the new limits then, and one whose limit was removed is cleared
    /// (<see cref="AlertCleared"/>, once, saying that it is no longer checked).
    /// </summary>
    /// <exception cref="ArgumentNullException">The value is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit is negative, NaN or infinite, or the critical factor is below 1 (the message names the property).</exception>
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
            Validate(value, nameof(value));

            AlertThresholds copy = Copy(value);
            lock (_gate)
            {
                _thresholds = copy;
            }
        }
    }

    /// <summary>Throws unless every limit set is a finite number at least 0 and the critical factor is at least 1; the message names the property.</summary>
    private static void Validate(AlertThresholds t, string paramName)
    {
        if (!(t.CriticalFactor >= 1))
        {
            throw new ArgumentOutOfRangeException(paramName, t.CriticalFactor, "CriticalFactor must be at least 1.");
        }

        Limit(t.MaxProcessingTime, nameof(AlertThresholds.MaxProcessingTime), paramName);
        Limit(t.MinThroughput, nameof(AlertThresholds.MinThroughput), paramName);
        Limit(t.MaxErrorRate, nameof(AlertThresholds.MaxErrorRate), paramName);
        Limit(t.MaxQueueLength, nameof(AlertThresholds.MaxQueueLength), paramName);
        Limit(t.MaxP99Latency, nameof(AlertThresholds.MaxP99Latency), paramName);
        Limit(t.MaxAvgProcessingTime, nameof(AlertThresholds.MaxAvgProcessingTime), paramName);
        Limit(t.MaxAvgQueueLength, nameof(AlertThresholds.MaxAvgQueueLength), paramName);

        static void Limit(double? limit, string property, string paramName)
        {
            if (limit is double value && !(value >= 0 && double.IsFinite(value)))
            {
                throw new ArgumentOutOfRangeException(paramName, value, $"{property} must be a finite number, at least 0 (or null: not checked).");
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
            Evaluate("throughput", "throughput", s.Throughput, _thresholds.MinThroughput, above: false, "items/s", now, raised, cleared, judgeable: s.WindowCount > 0);
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
    /// <exception cref="ObjectDisposedException">The monitor was disposed.</exception>
    public async Task RunAsync(CancellationToken cancellationToken = default)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, StopToken());
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
    /// <exception cref="ObjectDisposedException">The monitor was disposed.</exception>
    /// <remarks>
    /// The synchronous form of the reference class's <c>start_monitoring()</c>: a plain loop on the calling thread,
    /// woken by a timer of the monitor's <see cref="TimeProvider"/> (no task is waited on); prefer
    /// <see cref="RunAsync"/> in async code.
    /// </remarks>
    public void StartMonitoring()
    {
        CancellationToken stop = StopToken();
        using var due = new AutoResetEvent(false);
        using ITimer timer = _time.CreateTimer(static state => ((AutoResetEvent)state!).Set(), due, Interval, Interval);
        WaitHandle[] wake = [stop.WaitHandle, due];
        while (!stop.IsCancellationRequested)
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

    /// <summary>
    /// Ends every <see cref="RunAsync"/> and <see cref="StartMonitoring"/> running now, promptly. A later call of either
    /// runs again, as the Python recipe's <c>start_monitoring()</c> after <c>stop_monitoring()</c>. No effect once disposed.
    /// </summary>
    public void Stop() => CancelRuns(final: false);

    /// <summary>Stops monitoring for good; <see cref="RunAsync"/> and <see cref="StartMonitoring"/> then throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose() => CancelRuns(final: true);

    /// <summary>
    /// Cancels the runs of now: for good (<paramref name="final"/>), or with a fresh source for later runs. The stopped
    /// runs keep their source, never disposed: a blocked <see cref="StartMonitoring"/> waits on its handle.
    /// </summary>
    private void CancelRuns(bool final)
    {
        CancellationTokenSource stopped;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            stopped = _stop;
            if (final)
            {
                _disposed = true;
            }
            else
            {
                _stop = new CancellationTokenSource();
            }
        }

        stopped.Cancel(); // outside the lock: cancellation callbacks (RunAsync's continuation) never run under it
    }

    /// <summary>The token that <see cref="Stop"/> and <see cref="Dispose"/> cancel for the runs starting now.</summary>
    private CancellationToken StopToken()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _stop.Token;
        }
    }
}
