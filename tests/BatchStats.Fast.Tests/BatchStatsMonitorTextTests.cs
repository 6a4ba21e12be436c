using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="BatchStatsMonitor"/> against a tracker whose snapshot the test sets exactly: every check's name, text,
/// unit and log entry word for word, the limits at their exact boundaries, a failing check in the loop, and the
/// thresholds copied whole.
/// </summary>
public sealed class BatchStatsMonitorTextTests
{
    private static readonly AlertThresholds AllSeven = new()
    {
        MaxProcessingTime = 0.1,
        MinThroughput = 100,
        MaxErrorRate = 0.05,
        MaxQueueLength = 50,
        MaxP99Latency = 0.5,
        MaxAvgProcessingTime = 0.08,
        MaxAvgQueueLength = 20,
    };

    private static BatchStatsSnapshot Snapshot(double factor) => new()
    {
        P95ProcessingTime = 0.1 * factor,
        Throughput = 100 / factor,
        ErrorRate = 0.05 * factor,
        MaxQueueLength = (int)(50 * factor),
        P99Latency = 0.5 * factor,
        AvgProcessingTime = 0.08 * factor,
        AvgQueueLength = 20 * factor,
        WindowCount = 10,
    };

    [Fact]
    public void EveryCheck_RaisedEscalatedCleared_TextsAndLogsWordForWord()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
        var stats = new FixedStats { Snapshot = Snapshot(1.5) };
        var logger = new ListLogger();
        using var monitor = new BatchStatsMonitor(stats, AllSeven, timeProvider: time, logger: logger);
        var raised = new List<BatchStatsAlert>();
        var cleared = new List<BatchStatsAlert>();
        monitor.AlertRaised += (_, a) => raised.Add(a);
        monitor.AlertCleared += (_, a) => cleared.Add(a);

        Assert.Equal(7, monitor.CheckAlerts().Count);
        string[] warnings =
        [
            "processing_time|p95 processing time 0.15 s is above the threshold 0.1 s (warning)",
            "throughput|throughput 66.67 items/s is below the threshold 100 items/s (warning)",
            "error_rate|error rate 0.075 is above the threshold 0.05 (warning)",
            "queue_length|max queue length 75 is above the threshold 50 (warning)",
            "p99_latency|p99 latency 0.75 s is above the threshold 0.5 s (warning)",
            "avg_processing_time|mean processing time 0.12 s is above the threshold 0.08 s (warning)",
            "avg_queue_length|mean queue length 30 is above the threshold 20 (warning)",
        ];
        Assert.Equal(warnings, raised.Select(a => $"{a.Name}|{a.Message}"));
        Assert.All(raised, a => Assert.Equal(AlertSeverity.Warning, a.Severity));
        Assert.All(raised, a => Assert.Equal(time.GetUtcNow(), a.Time));
        Assert.Equal([0.1, 100, 0.05, 50, 0.5, 0.08, 20], raised.Select(a => a.Threshold));
        Assert.Equal(0.15, raised[0].Value, 12);
        Assert.Equal(warnings.Select(w => (LogLevel.Warning, "Batch stats alert " + w.Replace("|", ": ", StringComparison.Ordinal))), logger.Take().Select(e => (e.Level, e.Message)));

        time.Advance(TimeSpan.FromSeconds(10));
        stats.Snapshot = Snapshot(2.5); // beyond limit × 2 (below limit ÷ 2 for throughput): critical
        raised.Clear();
        Assert.Equal(7, monitor.CheckAlerts().Count);
        Assert.Equal(
            [
                "p95 processing time 0.25 s is above the threshold 0.1 s (critical)",
                "throughput 40 items/s is below the threshold 100 items/s (critical)",
                "error rate 0.125 is above the threshold 0.05 (critical)",
                "max queue length 125 is above the threshold 50 (critical)",
                "p99 latency 1.25 s is above the threshold 0.5 s (critical)",
                "mean processing time 0.2 s is above the threshold 0.08 s (critical)",
                "mean queue length 50 is above the threshold 20 (critical)",
            ],
            raised.Select(a => a.Message));
        Assert.Equal(raised.Select(a => (LogLevel.Error, $"Batch stats alert {a.Name}: {a.Message}")), logger.Take().Select(e => (e.Level, e.Message)));

        // Still critical, further out: nothing is raised or logged again, but the active alerts show this check's figures.
        DateTimeOffset raisedAt = time.GetUtcNow();
        time.Advance(TimeSpan.FromSeconds(10));
        stats.Snapshot = Snapshot(3);
        raised.Clear();
        BatchStatsAlert tail = Assert.Single(monitor.CheckAlerts(), a => a.Name == "processing_time");
        Assert.Empty(raised);
        Assert.Empty(logger.Take());
        Assert.Equal((0.3, 0.1, "p95 processing time 0.3 s is above the threshold 0.1 s (critical)", raisedAt), (Math.Round(tail.Value, 12), tail.Threshold, tail.Message, tail.Time));
        Assert.Equal(monitor.CheckAlerts().Select(a => a.Message), monitor.ActiveAlerts.Select(a => a.Message));

        time.Advance(TimeSpan.FromSeconds(10));
        stats.Snapshot = Snapshot(0.5);
        Assert.Empty(monitor.CheckAlerts());
        Assert.Empty(monitor.ActiveAlerts);
        Assert.Equal(
            [
                "p95 processing time 0.05 s is back within the threshold 0.1 s",
                "throughput 200 items/s is back within the threshold 100 items/s",
                "error rate 0.025 is back within the threshold 0.05",
                "max queue length 25 is back within the threshold 50",
                "p99 latency 0.25 s is back within the threshold 0.5 s",
                "mean processing time 0.04 s is back within the threshold 0.08 s",
                "mean queue length 10 is back within the threshold 20",
            ],
            cleared.Select(a => a.Message));
        Assert.All(cleared, a => Assert.Equal(AlertSeverity.Critical, a.Severity)); // the alert that cleared
        Assert.All(cleared, a => Assert.Equal(time.GetUtcNow(), a.Time));
        Assert.Equal(0.05, cleared[0].Value, 12);
        Assert.Equal(
            cleared.Select(a => (LogLevel.Information, $"Batch stats alert {a.Name} cleared: {a.Message}")),
            logger.Take().Select(e => (e.Level, e.Message)));
    }

    /// <summary>A backlog of hundreds of thousands reads as a whole number, not as 2.014E+05 (seen on the demo's dashboard).</summary>
    [Fact]
    public void LargeFigures_ReadAsWholeNumbers()
    {
        var stats = new FixedStats { Snapshot = new BatchStatsSnapshot { MaxQueueLength = 201_437, Throughput = 70_123.4, AvgQueueLength = 9_999.96, WindowCount = 1 } };
        using var monitor = new BatchStatsMonitor(stats, new AlertThresholds { MaxQueueLength = 6_225, MinThroughput = 80_000, MaxAvgQueueLength = 1_000 });
        Assert.Equal(
            [
                "throughput 70123 items/s is below the threshold 80000 items/s (warning)",
                "max queue length 201437 is above the threshold 6225 (critical)",
                "mean queue length 10000 is above the threshold 1000 (critical)",
            ],
            monitor.CheckAlerts().Select(a => a.Message));
        Assert.Equal("10000", BatchStatsMonitor.Figure(9_999.5)); // G4 would write 1E+04 from here
        Assert.Equal("9999", BatchStatsMonitor.Figure(9_999.49));
        Assert.Equal("1.2E-05", BatchStatsMonitor.Figure(0.000012));
        Assert.Equal("-123457", BatchStatsMonitor.Figure(-123_456.7));
        Assert.Equal("1E+15", BatchStatsMonitor.Figure(1e15));
    }

    /// <summary>A figure exactly at its limit is within it; exactly at limit × factor (÷ for throughput) is a warning; beyond it, critical.</summary>
    [Theory]
    [InlineData(1.0, null)]
    [InlineData(1.0000001, AlertSeverity.Warning)]
    [InlineData(3.0, AlertSeverity.Warning)]
    [InlineData(3.0000001, AlertSeverity.Critical)]
    public void Limits_AtTheirExactBoundaries(double factor, AlertSeverity? expected)
    {
        var stats = new FixedStats();
        using var monitor = new BatchStatsMonitor(stats, new AlertThresholds { MaxProcessingTime = 0.25, MinThroughput = 64, CriticalFactor = 3 });
        stats.Snapshot = new BatchStatsSnapshot { P95ProcessingTime = 0.25 * factor, Throughput = 64 / factor, WindowCount = 1 };
        IReadOnlyList<BatchStatsAlert> alerts = monitor.CheckAlerts();
        Assert.Equal(expected is null ? 0 : 2, alerts.Count);
        Assert.All(alerts, a => Assert.Equal(expected, a.Severity));
    }

    [Fact]
    public void Throughput_EmptyWindow_KeepsTheCurrentState()
    {
        var stats = new FixedStats { Snapshot = new BatchStatsSnapshot { Throughput = 10, WindowCount = 3 } };
        using var monitor = new BatchStatsMonitor(stats, new AlertThresholds { MinThroughput = 100 });
        Assert.Equal("throughput", Assert.Single(monitor.CheckAlerts()).Name);
        stats.Snapshot = new BatchStatsSnapshot { Throughput = 0, WindowCount = 0 }; // nothing to judge: neither cleared nor escalated
        BatchStatsAlert kept = Assert.Single(monitor.CheckAlerts());
        Assert.Equal(AlertSeverity.Critical, kept.Severity);
        Assert.Equal(10, kept.Value);
    }

    /// <summary>A check that throws is logged and the loop goes on; the next good check raises as usual.</summary>
    [Fact]
    public async Task RunAsync_FailingCheck_LoggedAndTheLoopGoesOn()
    {
        var time = new FakeTimeProvider();
        var stats = new FixedStats { Failure = new InvalidOperationException("tracker gone") };
        var logger = new ListLogger();
        using var monitor = new BatchStatsMonitor(stats, new AlertThresholds { MaxQueueLength = 5 }, TimeSpan.FromSeconds(1), time, logger);
        Assert.Throws<InvalidOperationException>(() => monitor.CheckAlerts()); // a direct call sees the failure
        Task loop = monitor.RunAsync();
        await WaitUntil(() => !logger.Entries.IsEmpty);
        (LogLevel level, string message, Exception? exception) = Assert.Single(logger.Take());
        Assert.Equal((LogLevel.Error, "A batch stats check failed"), (level, message));
        Assert.Same(stats.Failure, exception);

        stats.Failure = null;
        stats.Snapshot = new BatchStatsSnapshot { MaxQueueLength = 7 };
        time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntil(() => monitor.ActiveAlerts.Count == 1);
        Assert.Equal("queue_length", monitor.ActiveAlerts[0].Name);
        monitor.Stop();
        await loop.WaitAsync(TimeSpan.FromSeconds(30));
        monitor.Dispose();
        monitor.Dispose(); // twice: no throw
        monitor.Stop(); // after Dispose: no throw
    }

    [Fact]
    public void SubscriberFailure_LogNamesTheAlert()
    {
        var stats = new FixedStats { Snapshot = new BatchStatsSnapshot { ErrorRate = 0.2 } };
        var logger = new ListLogger();
        using var monitor = new BatchStatsMonitor(stats, new AlertThresholds { MaxErrorRate = 0.1, CriticalFactor = 4 }, logger: logger);
        var failure = new InvalidOperationException("subscriber bug");
        monitor.AlertRaised += (_, _) => throw failure;
        monitor.CheckAlerts();
        Assert.Equal(1, monitor.HandlerFailures);
        Assert.Equal(
            [(LogLevel.Warning, "Batch stats alert error_rate: error rate 0.2 is above the threshold 0.1 (warning)", (Exception?)null), (LogLevel.Error, "An alert subscriber failed on error_rate", failure)],
            logger.Take().Select(e => (e.Level, e.Message, e.Exception)));
    }

    /// <summary>
    /// A limit removed while its alert is active (a configuration reload that drops it) clears the alert once, saying
    /// why: otherwise it would stay in <see cref="BatchStatsMonitor.ActiveAlerts"/>, the dashboard and the health check
    /// for good, since nothing judges it any more. An empty window keeps the throughput alert as it is (nothing to
    /// judge), unless the throughput limit itself is removed.
    /// </summary>
    [Fact]
    public void Thresholds_LimitRemovedWhileActive_ClearsTheAlertOnceSayingWhy()
    {
        var stats = new FixedStats { Snapshot = new BatchStatsSnapshot { ErrorRate = 0.5, Throughput = 10, WindowCount = 4 } };
        using var monitor = new BatchStatsMonitor(stats, new AlertThresholds { MaxErrorRate = 0.1, MinThroughput = 100 });
        var cleared = new List<BatchStatsAlert>();
        monitor.AlertCleared += (_, a) => cleared.Add(a);
        Assert.Equal(["error_rate", "throughput"], monitor.CheckAlerts().Select(a => a.Name).Order());

        monitor.Thresholds = new AlertThresholds { MinThroughput = 100 };
        stats.Snapshot = new BatchStatsSnapshot { ErrorRate = 0.5 }; // the window empties: throughput is not judged
        Assert.Equal("throughput", Assert.Single(monitor.CheckAlerts()).Name);
        BatchStatsAlert errors = Assert.Single(cleared);
        Assert.Equal(("error_rate", 0.5, 0.1), (errors.Name, errors.Value, errors.Threshold));
        Assert.Equal("error rate 0.5 is no longer checked: its threshold was removed", errors.Message);
        Assert.Single(monitor.CheckAlerts()); // cleared once
        Assert.Single(cleared);

        monitor.Thresholds = new AlertThresholds();
        Assert.Empty(monitor.CheckAlerts());
        Assert.Equal("throughput 0 items/s is no longer checked: its threshold was removed", cleared[^1].Message);
        Assert.Equal(2, cleared.Count);
    }

    /// <summary>The monitor keeps its own copy of every field: neither the caller's object nor the getter's result reaches it.</summary>
    [Fact]
    public void Thresholds_CopiedWhole_BothWays()
    {
        var given = new AlertThresholds { MaxProcessingTime = 1, MinThroughput = 2, MaxErrorRate = 3, MaxQueueLength = 4, MaxP99Latency = 5, MaxAvgProcessingTime = 6, MaxAvgQueueLength = 7, CriticalFactor = 8 };
        using var monitor = new BatchStatsMonitor(new FixedStats(), given);
        given.MaxQueueLength = 400;
        AlertThresholds read = monitor.Thresholds;
        Assert.Equal((1.0, 2.0, 3.0, 4, 5.0, 6.0, 7.0, 8.0), (read.MaxProcessingTime, read.MinThroughput, read.MaxErrorRate, read.MaxQueueLength, read.MaxP99Latency, read.MaxAvgProcessingTime, read.MaxAvgQueueLength, read.CriticalFactor));
        read.MaxErrorRate = 300;
        Assert.Equal(3.0, monitor.Thresholds.MaxErrorRate);
        monitor.Thresholds = new AlertThresholds { MaxQueueLength = 9 };
        Assert.Null(monitor.Thresholds.MaxProcessingTime);
        Assert.Equal(9, monitor.Thresholds.MaxQueueLength);
        Assert.Equal(2.0, monitor.Thresholds.CriticalFactor);
        Assert.Equal(TimeSpan.FromSeconds(10), monitor.Interval);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void SingleThresholdConstructor_NotAPositiveNumber_ThrowsNamingIt(double alertThreshold)
    {
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => new BatchStatsMonitor(new FixedStats(), alertThreshold));
        Assert.Equal("alertThreshold", e.ParamName);
        Assert.Equal("thresholds", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchStatsMonitor(new FixedStats(), new AlertThresholds { CriticalFactor = double.NaN })).ParamName);
        using var ok = new BatchStatsMonitor(new FixedStats(), 0.5);
        Assert.Equal(0.5, ok.Thresholds.MaxAvgProcessingTime);
    }

    /// <summary>On its own thread: one check at once, one per timer tick, none between; Stop ends it, and so does Dispose.</summary>
    [Fact]
    public async Task StartMonitoring_ChecksOnEveryTick_StopAndDisposeEndIt()
    {
        var time = new FakeTimeProvider();
        var stats = new FixedStats();
        using var monitor = new BatchStatsMonitor(stats, new AlertThresholds { MaxQueueLength = 5 }, TimeSpan.FromSeconds(1), time);
        var thread = new Thread(monitor.StartMonitoring) { IsBackground = true };
        thread.Start();
        await WaitUntil(() => stats.Reads == 1);
        await Task.Delay(100);
        Assert.Equal(1, stats.Reads); // no check before the next tick
        stats.Snapshot = new BatchStatsSnapshot { MaxQueueLength = 6 };
        time.Advance(TimeSpan.FromSeconds(1));
        await WaitUntil(() => monitor.ActiveAlerts.Count == 1);
        Assert.Equal(2, stats.Reads);
        monitor.Stop();
        Assert.True(thread.Join(TimeSpan.FromSeconds(30)), "Stop ends StartMonitoring");

        using var disposed = new BatchStatsMonitor(stats, new AlertThresholds(), TimeSpan.FromSeconds(1), time);
        Task loop = disposed.RunAsync();
        disposed.Dispose();
        await loop.WaitAsync(TimeSpan.FromSeconds(30)); // Dispose ends a running loop
    }

    [Fact]
    public void BadArguments_MessagesSayWhatIsWanted()
    {
        Assert.StartsWith("CriticalFactor must be at least 1.", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchStatsMonitor(new FixedStats(), new AlertThresholds { CriticalFactor = 0.5 })).Message, StringComparison.Ordinal);
        using var monitor = new BatchStatsMonitor(new FixedStats(), new AlertThresholds());
        Assert.StartsWith("CriticalFactor must be at least 1.", Assert.Throws<ArgumentOutOfRangeException>(() => monitor.Thresholds = new AlertThresholds { CriticalFactor = 0.5 }).Message, StringComparison.Ordinal);
        Assert.StartsWith("The alert threshold must be a positive number of seconds.", Assert.Throws<ArgumentOutOfRangeException>(() => new BatchStatsMonitor(new FixedStats(), -1.0)).Message, StringComparison.Ordinal);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 3000 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }
}
