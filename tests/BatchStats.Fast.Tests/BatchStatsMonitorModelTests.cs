using System.Collections.Generic;
using System.Linq;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="BatchStatsMonitor"/> against a plain model of its alert protocol on random sequences of checks, each after
/// a new snapshot or new limits (figures and limits drawn near each other, so breaches, severity changes, recoveries
/// and removed limits all happen). Per rule, as documented: an alert is raised when its figure crosses its limit, and
/// again only when its severity changes (critical beyond the limit times, or for throughput divided by, the critical
/// factor); it is cleared once on recovery or when its limit is removed; throughput is not judged while the window is
/// empty (its state is kept). After every check the raised and cleared events and the active alerts (with the last
/// judged figure) must be the model's.
/// </summary>
public sealed class BatchStatsMonitorModelTests
{
    /// <summary>One step: a snapshot to check, or limits to put in force, then a check.</summary>
    public sealed record CheckStep(BatchStatsSnapshot? Snapshot, AlertThresholds? Limits)
    {
        public override string ToString() => Snapshot is { } s
            ? $"check p95 {s.P95ProcessingTime}, throughput {s.Throughput} (window {s.WindowCount}), errors {s.ErrorRate}, queue max {s.MaxQueueLength}, p99 latency {s.P99Latency}, mean {s.AvgProcessingTime}, mean queue {s.AvgQueueLength}"
            : $"limits {Limits!.MaxProcessingTime}/{Limits.MinThroughput}/{Limits.MaxErrorRate}/{Limits.MaxQueueLength}/{Limits.MaxP99Latency}/{Limits.MaxAvgProcessingTime}/{Limits.MaxAvgQueueLength} x{Limits.CriticalFactor}";
    }

    private static Gen<double> Figure => Gen.Elements(0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0);

    private static Gen<double?> Limit => Gen.Elements<double?>(null, 0.5, 1.0, 2.0);

    private static Gen<BatchStatsSnapshot> Snapshots =>
        from p95 in Figure
        from throughput in Figure
        from window in Gen.Elements(0, 5)
        from errors in Figure
        from queue in Gen.Elements(0, 1, 2, 3, 5)
        from p99 in Figure
        from mean in Figure
        from meanQueue in Figure
        select new BatchStatsSnapshot
        {
            P95ProcessingTime = p95,
            Throughput = throughput,
            WindowCount = window,
            ErrorRate = errors,
            MaxQueueLength = queue,
            P99Latency = p99,
            AvgProcessingTime = mean,
            AvgQueueLength = meanQueue,
        };

    private static Gen<AlertThresholds> Limits =>
        from processing in Limit
        from throughput in Limit
        from errors in Limit
        from queue in Gen.Elements<int?>(null, 1, 2)
        from p99 in Limit
        from mean in Limit
        from meanQueue in Limit
        from factor in Gen.Elements(1.0, 1.5, 2.0)
        select new AlertThresholds
        {
            MaxProcessingTime = processing,
            MinThroughput = throughput,
            MaxErrorRate = errors,
            MaxQueueLength = queue,
            MaxP99Latency = p99,
            MaxAvgProcessingTime = mean,
            MaxAvgQueueLength = meanQueue,
            CriticalFactor = factor,
        };

    public static Arbitrary<CheckStep[]> Histories() =>
        Gen.Frequency(
            (3, Snapshots.Select(s => new CheckStep(s, null))),
            (1, Limits.Select(l => new CheckStep(null, l)))).ArrayOf().ToArbitrary();

    [Property(MaxTest = 300, Arbitrary = [typeof(BatchStatsMonitorModelTests)])]
    public Property AlertProtocol_MatchesTheModel(CheckStep[] steps)
    {
        var stats = new FixedStats();
        var limits = new AlertThresholds { MaxErrorRate = 1.0 };
        using var monitor = new BatchStatsMonitor(stats, limits);
        var raised = new List<BatchStatsAlert>();
        var cleared = new List<BatchStatsAlert>();
        monitor.AlertRaised += (_, a) => raised.Add(a);
        monitor.AlertCleared += (_, a) => cleared.Add(a);
        var model = new Dictionary<string, (AlertSeverity Severity, double Value)>();
        Property result = true.ToProperty();
        foreach ((CheckStep step, int index) in steps.Select((s, i) => (s, i)))
        {
            if (step.Limits is { } l)
            {
                limits = l;
                monitor.Thresholds = l;
            }
            else
            {
                stats.Snapshot = step.Snapshot!;
            }

            raised.Clear();
            cleared.Clear();
            IReadOnlyList<BatchStatsAlert> active = monitor.CheckAlerts();
            (List<(string, AlertSeverity)> expectRaised, List<string> expectCleared) = ModelCheck(model, stats.Snapshot, limits);
            static string Names(IEnumerable<string> names) => string.Join(", ", names.Order());
            string gotRaised = Names(raised.Select(a => $"{a.Name}:{a.Severity}")), wantRaised = Names(expectRaised.Select(r => $"{r.Item1}:{r.Item2}"));
            string gotCleared = Names(cleared.Select(a => a.Name)), wantCleared = Names(expectCleared);
            string gotActive = Names(active.Select(a => $"{a.Name}:{a.Severity}:{a.Value}")), wantActive = Names(model.Select(m => $"{m.Key}:{m.Value.Severity}:{m.Value.Value}"));
            result = result
                .And((gotRaised == wantRaised).Label($"step {index}: raised [{gotRaised}], model [{wantRaised}]"))
                .And((gotCleared == wantCleared).Label($"step {index}: cleared [{gotCleared}], model [{wantCleared}]"))
                .And((gotActive == wantActive).Label($"step {index}: active [{gotActive}], model [{wantActive}]"));
        }

        return result;
    }

    /// <summary>One check of the model: updates the active set and says what is raised and cleared.</summary>
    private static (List<(string, AlertSeverity)> Raised, List<string> Cleared) ModelCheck(Dictionary<string, (AlertSeverity Severity, double Value)> active, BatchStatsSnapshot s, AlertThresholds l)
    {
        var raised = new List<(string, AlertSeverity)>();
        var cleared = new List<string>();
        void Rule(string name, double value, double? limit, bool above, bool judged = true)
        {
            bool isActive = active.TryGetValue(name, out (AlertSeverity Severity, double Value) current);
            if (limit is null)
            {
                if (isActive)
                {
                    active.Remove(name);
                    cleared.Add(name);
                }

                return;
            }

            if (!judged)
            {
                return;
            }

            double f = l.CriticalFactor;
            bool breached = above ? value > limit : value < limit;
            bool critical = above ? value > limit * f : value < limit / f;
            if (!breached)
            {
                if (isActive)
                {
                    active.Remove(name);
                    cleared.Add(name);
                }

                return;
            }

            AlertSeverity severity = critical ? AlertSeverity.Critical : AlertSeverity.Warning;
            if (!isActive || current.Severity != severity)
            {
                raised.Add((name, severity));
            }

            active[name] = (severity, value); // an active alert shows the last check's figure
        }

        Rule("processing_time", s.P95ProcessingTime, l.MaxProcessingTime, above: true);
        Rule("throughput", s.Throughput, l.MinThroughput, above: false, judged: s.WindowCount > 0);
        Rule("error_rate", s.ErrorRate, l.MaxErrorRate, above: true);
        Rule("queue_length", s.MaxQueueLength, l.MaxQueueLength, above: true);
        Rule("p99_latency", s.P99Latency, l.MaxP99Latency, above: true);
        Rule("avg_processing_time", s.AvgProcessingTime, l.MaxAvgProcessingTime, above: true);
        Rule("avg_queue_length", s.AvgQueueLength, l.MaxAvgQueueLength, above: true);
        return (raised, cleared);
    }
}
