using System;
using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="BatchStatsMonitor"/>: alerts raised once and cleared once, severities, subscribers, the monitoring loop on
/// a fake clock (start, stop, restart, cancellation, disposal) and its argument checks.
/// </summary>
public sealed class BatchStatsMonitorTests
{
    private static readonly AlertThresholds s_thresholds = new()
    {
        MaxProcessingTime = 0.1,
        MinThroughput = 100,
        MaxErrorRate = 0.05,
        MaxQueueLength = 50,
        MaxP99Latency = 0.5,
    };

    private static LockFreeBatchStats Healthy()
    {
        var stats = new LockFreeBatchStats(100, 0);
        for (int i = 0; i < 100; i++)
        {
            stats.Update(0.01, 10, 0.001, 0.02, 5); // 1000 items/s, p95 10 ms
        }

        return stats;
    }

    [Fact]
    public void CheckAlerts_BreachRaisesOnce_RecoveryClearsOnce()
    {
        var stats = new LockFreeBatchStats(10, 0);
        using var monitor = new BatchStatsMonitor(stats, s_thresholds);
        var raised = new List<BatchStatsAlert>();
        var cleared = new List<BatchStatsAlert>();
        monitor.AlertRaised += (_, a) => raised.Add(a);
        monitor.AlertCleared += (_, a) => cleared.Add(a);

        for (int i = 0; i < 10; i++)
        {
            stats.Update(0.15, 100, 0, 0.2, 1); // p95 150 ms: warning (limit 100 ms, critical above 200 ms)
        }

        Assert.Single(monitor.CheckAlerts());
        Assert.Single(monitor.CheckAlerts()); // still breached: not raised again
        BatchStatsAlert alert = Assert.Single(raised);
        Assert.Equal("processing_time", alert.Name);
        Assert.Equal(AlertSeverity.Warning, alert.Severity);
        Assert.Equal(0.15, alert.Value);
        Assert.Equal(0.1, alert.Threshold);
        Assert.Contains("0.15", alert.Message, StringComparison.Ordinal);
        Assert.Contains("0.1", alert.Message, StringComparison.Ordinal);

        for (int i = 0; i < 10; i++)
        {
            stats.Update(0.01, 100, 0, 0.02, 1);
        }

        Assert.Empty(monitor.CheckAlerts());
        Assert.Empty(monitor.CheckAlerts());
        BatchStatsAlert clear = Assert.Single(cleared);
        Assert.Equal("processing_time", clear.Name);
        Assert.Contains("back within", clear.Message, StringComparison.Ordinal);
        Assert.Single(raised);
    }

    [Fact]
    public void CheckAlerts_EveryCheck_RaisesWithSeverity()
    {
        var stats = new LockFreeBatchStats(10, 0);
        using var monitor = new BatchStatsMonitor(stats, s_thresholds);
        for (int i = 0; i < 10; i++)
        {
            stats.Update(0.5, 1, 0, 2.0, 120); // 2 items/s, p95 0.5 s, p99 latency 2 s, queue 120: all critical
        }

        stats.RecordError(2); // 2 errors / 10 items = 0.2: critical
        var alerts = monitor.CheckAlerts().ToDictionary(a => a.Name);
        Assert.Equal(["error_rate", "p99_latency", "processing_time", "queue_length", "throughput"], alerts.Keys.Order());
        Assert.All(alerts.Values, a => Assert.Equal(AlertSeverity.Critical, a.Severity));
        Assert.Equal(2.0, alerts["throughput"].Value);
        Assert.Equal(120, alerts["queue_length"].Value);
    }

    [Fact]
    public void CheckAlerts_SeverityChange_RaisesAgain()
    {
        var stats = new LockFreeBatchStats(1, 0);
        using var monitor = new BatchStatsMonitor(stats, new AlertThresholds { MaxProcessingTime = 0.1 });
        var raised = new List<BatchStatsAlert>();
        monitor.AlertRaised += (_, a) => raised.Add(a);
        stats.Update(0.15, 1, 0);
        monitor.CheckAlerts();
        stats.Update(0.25, 1, 0);
        monitor.CheckAlerts();
        stats.Update(0.25, 1, 0);
        monitor.CheckAlerts();
        Assert.Equal([AlertSeverity.Warning, AlertSeverity.Critical], raised.Select(a => a.Severity));
    }

    [Fact]
    public void CheckAlerts_EmptyWindow_ThroughputNotJudged()
    {
        using var monitor = new BatchStatsMonitor(new LockFreeBatchStats(10, 0), new AlertThresholds { MinThroughput = 100 });
        Assert.Empty(monitor.CheckAlerts());
    }

    [Fact]
    public void ThrowingSubscriber_IsLoggedAndSkipped_OthersStillCalled()
    {
        var stats = new LockFreeBatchStats(10, 0);
        var logger = new ListLogger();
        using var monitor = new BatchStatsMonitor(stats, new AlertThresholds { MaxProcessingTime = 0.1 }, logger: logger);
        int calls = 0;
        monitor.AlertRaised += (_, _) => throw new InvalidOperationException("subscriber bug");
        monitor.AlertRaised += (_, _) => calls++;
        stats.Update(1, 1, 0);
        Assert.Single(monitor.CheckAlerts());
        Assert.Equal(1, calls);
        Assert.Equal(1, monitor.HandlerFailures);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Error && e.Exception is InvalidOperationException);
        Assert.Contains(logger.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("processing_time", StringComparison.Ordinal)); // critical
    }

    [Fact]
    public async Task RunAsync_FakeClock_ChecksEveryInterval_StopEndsIt()
    {
        var time = new FakeTimeProvider();
        LockFreeBatchStats stats = Healthy();
        using var monitor = new BatchStatsMonitor(stats, s_thresholds, TimeSpan.FromSeconds(5), time);
        var raised = new BlockingCollection<BatchStatsAlert>();
        var cleared = new BlockingCollection<BatchStatsAlert>();
        monitor.AlertRaised += (_, a) => raised.Add(a);
        monitor.AlertCleared += (_, a) => cleared.Add(a);
        Task loop = monitor.RunAsync();

        stats.RecordError(100); // error rate 100 / 1000 = 0.1: critical
        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(raised.TryTake(out BatchStatsAlert? alert, TimeSpan.FromSeconds(10)));
        Assert.Equal("error_rate", alert!.Name);
        Assert.Equal(time.GetUtcNow(), alert.Time);

        for (int i = 0; i < 100_000; i++)
        {
            stats.Update(0.01, 10, 0.001, 0.02, 5); // dilute: 100 / 1,001,000 items
        }

        time.Advance(TimeSpan.FromSeconds(5));
        Assert.True(cleared.TryTake(out BatchStatsAlert? clear, TimeSpan.FromSeconds(10)));
        Assert.Equal("error_rate", clear!.Name);

        monitor.Stop();
        Assert.True(await Task.WhenAny(loop, Task.Delay(TimeSpan.FromSeconds(10))) == loop, "RunAsync did not end after Stop");
        await loop;
    }

    [Fact]
    public async Task RunAsync_Cancellation_EndsWithoutFault()
    {
        using var monitor = new BatchStatsMonitor(Healthy(), s_thresholds, TimeSpan.FromHours(1), new FakeTimeProvider());
        using var cts = new CancellationTokenSource();
        Task loop = monitor.RunAsync(cts.Token);
        await cts.CancelAsync();
        Assert.True(await Task.WhenAny(loop, Task.Delay(TimeSpan.FromSeconds(10))) == loop);
        await loop;
    }

    [Fact]
    public void StartMonitoring_BlocksUntilStop()
    {
        using var monitor = new BatchStatsMonitor(Healthy(), s_thresholds, TimeSpan.FromHours(1), new FakeTimeProvider());
        var runner = new Thread(monitor.StartMonitoring);
        runner.Start();
        Assert.False(runner.Join(TimeSpan.FromMilliseconds(100)));
        monitor.Stop();
        Assert.True(runner.Join(TimeSpan.FromSeconds(10)));
    }

    /// <summary>
    /// Stop ends the runs of now; a later StartMonitoring or RunAsync runs again, as the Python recipe's
    /// start_monitoring() after stop_monitoring(). Before, a stopped monitor returned at once from both, silently.
    /// </summary>
    [Fact]
    public async Task Stop_ThenStartAgain_MonitorsAgain()
    {
        var time = new FakeTimeProvider();
        var stats = new LockFreeBatchStats(1000, 0);
        using var monitor = new BatchStatsMonitor(stats, new AlertThresholds { MaxErrorRate = 0.05 }, TimeSpan.FromSeconds(1), time);
        monitor.Stop(); // before any run
        var runner = new Thread(monitor.StartMonitoring);
        runner.Start();
        Assert.False(runner.Join(TimeSpan.FromMilliseconds(100))); // runs: a stop before it does not end it
        monitor.Stop();
        Assert.True(runner.Join(TimeSpan.FromSeconds(10)));

        var raised = new BlockingCollection<BatchStatsAlert>();
        monitor.AlertRaised += (_, a) => raised.Add(a);
        Task loop = monitor.RunAsync();
        stats.Update(0.01, 10, 0, 0.01, 0);
        stats.RecordError(5);
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(raised.TryTake(out BatchStatsAlert? alert, TimeSpan.FromSeconds(10)), "the restarted loop checks");
        Assert.Equal("error_rate", alert!.Name);
        monitor.Stop();
        await loop.WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>After Dispose both runs throw ObjectDisposedException naming the monitor (before: the disposed token source's message, or nothing).</summary>
    [Fact]
    public async Task Disposed_StartMonitoringAndRunAsync_ThrowObjectDisposed()
    {
        var monitor = new BatchStatsMonitor(Healthy(), s_thresholds, TimeSpan.FromHours(1), new FakeTimeProvider());
        monitor.Dispose();
        Assert.Equal(typeof(BatchStatsMonitor).FullName, Assert.Throws<ObjectDisposedException>(monitor.StartMonitoring).ObjectName);
        Assert.Equal(typeof(BatchStatsMonitor).FullName, (await Assert.ThrowsAsync<ObjectDisposedException>(() => monitor.RunAsync())).ObjectName);
        monitor.Stop(); // no effect, no throw
        Assert.Empty(monitor.CheckAlerts()); // an on-demand check still works
    }

    /// <summary>The Python recipe's form: one threshold on the mean processing time; means judged, not p95 or max.</summary>
    [Fact]
    public void SingleThreshold_JudgesTheMeanProcessingTime_AsThePythonRecipe()
    {
        var stats = new LockFreeBatchStats(10, 0);
        using var monitor = new BatchStatsMonitor(stats, alertThreshold: 0.05);
        for (int i = 1; i <= 10; i++)
        {
            stats.Update(new BatchSample(i == 10 ? 0.4 : 0.01, 1, 0, 0.5, 0, i)); // p95 far above 0.05, mean 0.049
        }

        Assert.Empty(monitor.CheckAlerts());
        stats.Update(new BatchSample(0.1, 1, 0, 0.5, 0, 11)); // the mean crosses 0.05
        BatchStatsAlert alert = Assert.Single(monitor.CheckAlerts());
        Assert.Equal("avg_processing_time", alert.Name);
        Assert.Equal(AlertSeverity.Warning, alert.Severity);
        Assert.Equal(0.05, alert.Threshold);
        Assert.Equal("alertThreshold", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchStatsMonitor(stats, 0)).ParamName);
        Assert.Equal("alertThreshold", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchStatsMonitor(stats, double.NaN)).ParamName);
    }

    [Fact]
    public void MeanQueueLength_IsCheckedWhenSet()
    {
        var stats = new LockFreeBatchStats(4, 0);
        using var monitor = new BatchStatsMonitor(stats, new AlertThresholds { MaxAvgQueueLength = 10, MaxQueueLength = 100 });
        foreach (int q in new[] { 5, 5, 5, 30 }) // mean 11.25 > 10, max 30 < 100
        {
            stats.Update(new BatchSample(0.01, 1, 0, 0.01, q, q));
        }

        BatchStatsAlert alert = Assert.Single(monitor.CheckAlerts());
        Assert.Equal("avg_queue_length", alert.Name);
        Assert.Equal(11.25, alert.Value);
    }

    /// <summary>A critical factor of exactly 1 is allowed (a breach is critical at once); the texts name the figure, value, limit and unit.</summary>
    [Fact]
    public void CriticalFactorOne_BreachIsCritical_MessagesSayFigureValueLimitAndUnit()
    {
        var stats = new LockFreeBatchStats(4, 0);
        using var monitor = new BatchStatsMonitor(stats, new AlertThresholds { MaxProcessingTime = 0.01, CriticalFactor = 1 });
        monitor.Thresholds = new AlertThresholds { MaxProcessingTime = 0.01, CriticalFactor = 1 }; // the setter accepts 1 too
        for (int i = 1; i <= 4; i++)
        {
            stats.Update(new BatchSample(0.02, 1, 0, 0.02, 0, i));
        }

        BatchStatsAlert alert = Assert.Single(monitor.CheckAlerts());
        Assert.Equal(AlertSeverity.Critical, alert.Severity);
        Assert.Equal("p95 processing time 0.02 s is above the threshold 0.01 s (critical)", alert.Message);
        Assert.Equal("value", Assert.Throws<ArgumentOutOfRangeException>(() => monitor.Thresholds = new AlertThresholds { CriticalFactor = 0.99 }).ParamName);
        Assert.Throws<ArgumentNullException>(() => monitor.Thresholds = null!);
        for (int i = 5; i <= 8; i++)
        {
            stats.Update(new BatchSample(0.001, 1, 0, 0.001, 0, i));
        }

        Assert.Empty(monitor.CheckAlerts());
    }

    [Fact]
    public void Constructor_BadArguments_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => new BatchStatsMonitor(null!, s_thresholds));
        Assert.Throws<ArgumentNullException>(() => new BatchStatsMonitor(Healthy(), null!));
        Assert.Equal("interval", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchStatsMonitor(Healthy(), s_thresholds, TimeSpan.Zero)).ParamName);
        Assert.Equal("thresholds", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchStatsMonitor(Healthy(), new AlertThresholds { CriticalFactor = 0.5 })).ParamName);
    }

    /// <summary>
    /// An interval beyond the longest .NET timer (2^32 - 2 ms, about 49.7 days) is refused by the constructor, naming
    /// it; before, it was accepted and the first wait of <c>StartMonitoring</c> or <c>RunAsync</c> threw. The longest
    /// one runs and stops.
    /// </summary>
    [Fact]
    public async Task Constructor_IntervalBeyondTheLongestTimer_ThrowsNamingIt_AndTheLongestRuns()
    {
        foreach (TimeSpan tooLong in new[] { TimeSpan.FromMilliseconds(uint.MaxValue), TimeSpan.FromDays(60), TimeSpan.MaxValue })
        {
            Assert.Equal("interval", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchStatsMonitor(Healthy(), s_thresholds, tooLong)).ParamName);
        }

        using var longest = new BatchStatsMonitor(Healthy(), s_thresholds, TimeSpan.FromMilliseconds(uint.MaxValue - 1));
        using var cts = new CancellationTokenSource();
        Task run = longest.RunAsync(cts.Token);
        await cts.CancelAsync();
        await run; // ends on cancellation, not faulted by the delay

        var blocking = new Thread(longest.StartMonitoring);
        blocking.Start();
        var waited = Stopwatch.StartNew();
        do
        {
            longest.Stop(); // a Stop before the thread took its token ends nothing (a later start runs again): stop until it ends
        }
        while (!blocking.Join(TimeSpan.FromMilliseconds(20)) && waited.Elapsed < TimeSpan.FromSeconds(30));

        Assert.False(blocking.IsAlive);
    }

    /// <summary>Each limit, set negative, NaN or infinite, is refused by the constructor and the setter, naming the property; the limits in force stay.</summary>
    [Theory]
    [InlineData(nameof(AlertThresholds.MaxProcessingTime))]
    [InlineData(nameof(AlertThresholds.MinThroughput))]
    [InlineData(nameof(AlertThresholds.MaxErrorRate))]
    [InlineData(nameof(AlertThresholds.MaxQueueLength))]
    [InlineData(nameof(AlertThresholds.MaxP99Latency))]
    [InlineData(nameof(AlertThresholds.MaxAvgProcessingTime))]
    [InlineData(nameof(AlertThresholds.MaxAvgQueueLength))]
    public void Limits_NegativeNaNOrInfinite_RefusedNamingTheProperty(string property)
    {
        using var monitor = new BatchStatsMonitor(Healthy(), new AlertThresholds { MaxProcessingTime = 0.5 });
        double[] bad = property == nameof(AlertThresholds.MaxQueueLength) ? [-1] : [-0.001, double.NaN, double.PositiveInfinity, double.NegativeInfinity];
        foreach (double value in bad)
        {
            AlertThresholds thresholds = With(property, value);
            ArgumentOutOfRangeException created = Assert.Throws<ArgumentOutOfRangeException>(() => new BatchStatsMonitor(Healthy(), thresholds));
            Assert.Equal("thresholds", created.ParamName);
            Assert.StartsWith(property + " must be a finite number, at least 0", created.Message, StringComparison.Ordinal);
            ArgumentOutOfRangeException replaced = Assert.Throws<ArgumentOutOfRangeException>(() => monitor.Thresholds = thresholds);
            Assert.Equal("value", replaced.ParamName);
            Assert.StartsWith(property + " must be", replaced.Message, StringComparison.Ordinal);
            Assert.Equal(0.5, monitor.Thresholds.MaxProcessingTime); // the limits in force stay
        }

        using var zero = new BatchStatsMonitor(Healthy(), With(property, 0)); // 0 is a limit (e.g. alert on any error)
        Assert.NotNull(zero.Thresholds);
    }

    private static AlertThresholds With(string property, double value)
    {
        var t = new AlertThresholds();
        if (property == nameof(AlertThresholds.MaxQueueLength))
        {
            t.MaxQueueLength = (int)value;
        }
        else
        {
            typeof(AlertThresholds).GetProperty(property)!.SetValue(t, (double?)value);
        }

        return t;
    }
}
