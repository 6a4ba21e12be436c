using System;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary><see cref="BatchStatsDashboard"/>: status, defaults as the Python module, exports.</summary>
public sealed class BatchStatsDashboardTests
{
    [Fact]
    public void Dashboard_Defaults_AsThePythonModule_HealthyOnlyBelowOnePercentAndQueueLength()
    {
        LockFreeBatchStats stats = ExportHistory.FixedHistory(); // 3 errors / 220 items = 0.0136
        BatchStatsDashboardData data = new BatchStatsDashboard(stats).GetDashboardData();
        Assert.Equal("warning", data.Status);
        Assert.Equal(stats.GetStats().AvgQueueLength, data.Metrics["queue_length"]);
        var clean = new LockFreeBatchStats(8, 0);
        clean.Update(new BatchSample(0.01, 100, 0, 0.01, 0, 1));
        clean.RecordError(1); // exactly 0.01: no longer healthy
        Assert.Equal("warning", new BatchStatsDashboard(clean).GetDashboardData().Status);
        clean.Update(new BatchSample(0.01, 1, 0, 0.01, 0, 2)); // 1 / 101 < 0.01
        Assert.Equal("healthy", new BatchStatsDashboard(clean).GetDashboardData().Status);
    }

    [Fact]
    public void Dashboard_StatusAndExports()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));
        LockFreeBatchStats stats = ExportHistory.FixedHistory(); // 3 errors / 220 items = 0.0136
        var dashboard = new BatchStatsDashboard(stats, warningErrorRate: 0.05, timeProvider: time);
        BatchStatsDashboardData data = dashboard.GetDashboardData();
        Assert.Equal("healthy", data.Status);
        Assert.Equal(time.GetUtcNow(), data.Timestamp);
        Assert.Equal(40, data.Metrics["batch_count"]);
        Assert.Equal("warning", new BatchStatsDashboard(stats, warningErrorRate: 0.01).GetDashboardData().Status);

        using JsonDocument doc = JsonDocument.Parse(dashboard.ExportMetrics("json"));
        Assert.Equal(time.GetUtcNow().ToUnixTimeSeconds(), doc.RootElement.GetProperty("timestamp").GetDouble());
        Assert.Equal("healthy", doc.RootElement.GetProperty("status").GetString());
        Assert.Equal(40, doc.RootElement.GetProperty("metrics").GetProperty("batch_count").GetDouble());
        Assert.StartsWith("# HELP batch_batches_total", dashboard.ExportMetrics("PROMETHEUS"), StringComparison.Ordinal);
        ArgumentException unknown = Assert.Throws<ArgumentException>(() => dashboard.ExportMetrics("xml"));
        Assert.Equal("format", unknown.ParamName);
        Assert.StartsWith("Unknown export format 'xml': use \"json\" or \"prometheus\".", unknown.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(-0.001)]
    [InlineData(double.NegativeInfinity)]
    public void Dashboard_BadWarningErrorRate_ThrowsNamingIt(double rate)
    {
        ArgumentOutOfRangeException e = Assert.Throws<ArgumentOutOfRangeException>(() => new BatchStatsDashboard(ExportHistory.FixedHistory(), warningErrorRate: rate));
        Assert.Equal("warningErrorRate", e.ParamName);
        Assert.StartsWith("The warning error rate must be a non-negative number.", e.Message, StringComparison.Ordinal);
        Assert.Equal("warning", new BatchStatsDashboard(ExportHistory.FixedHistory(), warningErrorRate: 0).GetDashboardData().Status); // 0 is a rate: any error rate is at or above it
    }

    [Fact]
    public void Dashboard_OverTheInterface_ReadsTheTrackerThroughIt()
    {
        LockFreeBatchStats inner = ExportHistory.FixedHistory();
        var own = new ForwardingStats(inner);
        var dashboard = new BatchStatsDashboard(own);
        Assert.Equal(new BatchStatsDashboard(inner).ExportMetrics("prometheus"), dashboard.ExportMetrics("prometheus"));
        Assert.Equal((1, 1), (own.SnapshotCalls, own.HistogramCalls));
        Assert.Equal(40, dashboard.GetDashboardData().Metrics["batch_count"]);
        Assert.Equal(2, own.SnapshotCalls);
        Assert.Equal("stats", Assert.Throws<ArgumentNullException>(() => new BatchStatsDashboard(null!)).ParamName);
    }
}
