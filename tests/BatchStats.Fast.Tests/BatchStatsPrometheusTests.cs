using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using BatchStats.Fast.Tests.PrometheusProto;
using Xunit;
using static BatchStats.Fast.Tests.PrometheusExposition;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="BatchStatsPrometheus"/>'s text exposition: the golden text, promtool, the README's family table, the counter
/// contract while the window rolls, several trackers. The protobuf exposition and the options have their own classes.
/// </summary>
public sealed class BatchStatsPrometheusTests
{
    [Fact]
    public void Write_FixedHistory_MatchesGoldenText()
    {
        string text = Text(ExportHistory.FixedHistory(), Labelled);
        if (Environment.GetEnvironmentVariable("BATCHSTATS_UPDATE_GOLDEN") is { Length: > 0 } dir)
        {
            File.WriteAllText(Path.Combine(dir, "prometheus_golden.txt"), text);
        }

        Assert.Equal(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "prometheus_golden.txt")).ReplaceLineEndings("\n"), text);
    }

    /// <summary>The README's table of families lists exactly the families the exposition writes, each with its type.</summary>
    [Fact]
    public void Readme_FamilyTable_ListsEveryFamilyWithItsType()
    {
        var listed = new SortedSet<string>(StringComparer.Ordinal);
        foreach (string row in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "TestData", "README.md")).Where(l => l.StartsWith("| `batch_", StringComparison.Ordinal)))
        {
            string[] cells = row.Split('|', StringSplitOptions.TrimEntries);
            string[] names = [.. cells[1].Split(',', StringSplitOptions.TrimEntries).Select(n => n.Trim('`'))];
            foreach (string name in names)
            {
                // "`batch_window_queue_length_avg`, `_max`": a suffix replaces the first name's last part.
                string full = name.StartsWith('_') ? names[0][..names[0].LastIndexOf('_')] + name : name;
                listed.Add($"{full} {cells[2]}");
            }
        }

        var stats = new LockFreeBatchStats(10, 0);
        stats.Update(0.01, 2, 0.001, 0.02, 3);
        stats.RecordError();
        var written = new SortedSet<string>(
            Text(stats).Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l["# TYPE ".Length..]),
            StringComparer.Ordinal);
        Assert.Equal(written, listed);
    }

    [Fact]
    public void Write_Output_PassesPromtool()
    {
        string[] texts =
        [
            Text(ExportHistory.FixedHistory(), Labelled),
            Text(new LockFreeBatchStats(10, 0)),
            Text(ExportHistory.FixedHistory(), new() { Prefix = "inference", HistogramBuckets = [0.001, 0.002, 0.0025, 0.01, 1] }),
            Text(OutsidePrometheusSchemas()), // scales 20 and -11: edges of 2^2048 (+∞) are left to the +Inf bucket
        ];
        foreach (string text in texts)
        {
            var start = new ProcessStartInfo("promtool", "check metrics") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            Process process;
            try
            {
                process = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception ex)
            {
                throw new InvalidOperationException("promtool is required for this test: install Debian's 'prometheus' package (.ci/run does).", ex);
            }

            using (process)
            {
                process.StandardInput.Write(text);
                process.StandardInput.Close();
                string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
                Assert.True(process.WaitForExit(TimeSpan.FromSeconds(30)));
                Assert.True(process.ExitCode == 0, $"promtool rejected the exposition:\n{output}\n---\n{text}");
            }
        }
    }

    [Fact]
    public void Write_FamiliesAndValues_CountersAndDistributionsAreAllTime()
    {
        LockFreeBatchStats stats = ExportHistory.FixedHistory(); // 40 samples, window 32
        BatchStatsSnapshot s = stats.GetStats();
        string text = Text(stats);
        Assert.Contains("# TYPE batch_batches_total counter\nbatch_batches_total 40\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE batch_errors_total counter\nbatch_errors_total 3\n", text, StringComparison.Ordinal);
        Assert.Contains("# TYPE batch_window_samples gauge\nbatch_window_samples 32\n", text, StringComparison.Ordinal);
        Assert.Contains($"# TYPE batch_window_processing_time_avg_seconds gauge\nbatch_window_processing_time_avg_seconds {s.AvgProcessingTime:R}\n", text, StringComparison.Ordinal);
        Assert.Contains($"# TYPE batch_window_latency_avg_seconds gauge\nbatch_window_latency_avg_seconds {s.AvgLatency:R}\n", text, StringComparison.Ordinal);
        Assert.Contains($"batch_processing_time_seconds{{quantile=\"0.99\"}} {s.P99ProcessingTime:R}\n", text, StringComparison.Ordinal);
        Assert.Contains("batch_processing_time_seconds_count 40\n", text, StringComparison.Ordinal); // all-time, not the window's 32
        Assert.Contains("# TYPE batch_queue_duration_seconds histogram\n", text, StringComparison.Ordinal);
        Assert.Contains("batch_processing_duration_seconds_bucket{le=\"+Inf\"} 40\n", text, StringComparison.Ordinal);
        Assert.Contains("batch_processing_duration_seconds_bucket{le=\"0.00390625\"} 5\n", text, StringComparison.Ordinal); // 1/256: i % 8 == 0
        Assert.Contains("batch_processing_duration_seconds_bucket{le=\"0.0078125\"} 10\n", text, StringComparison.Ordinal);
        double sum = Enumerable.Range(0, 40).Sum(i => (1 + (i % 8)) / 256.0);
        Assert.Contains($"batch_processing_duration_seconds_sum {sum:R}\n", text, StringComparison.Ordinal);
    }

    /// <summary>
    /// All-small values, then all-large ones: the window turns over completely, so a windowed count would fall;
    /// every counter, bucket, _count and _sum of every export is at least its value in the previous export.
    /// </summary>
    [Fact]
    public void Write_WindowRollsFromSmallToLargeValues_CumulativeSeriesNeverFall()
    {
        var stats = new LockFreeBatchStats(50, 0);
        Dictionary<string, double>? previous = null;
        long stamp = 0;
        for (int round = 0; round < 12; round++)
        {
            double value = round < 6 ? 0.001 : 0.5;
            for (int i = 0; i < 30; i++)
            {
                stats.Update(new BatchSample(value, 2, value, value * 2, 1, ++stamp));
            }

            Dictionary<string, double> cumulative = Cumulative(Text(stats));
            Assert.Equal(30 * (round + 1), cumulative["batch_processing_duration_seconds_count"]);
            if (previous is not null)
            {
                foreach ((string series, double before) in previous)
                {
                    Assert.True(cumulative[series] >= before, $"{series} fell from {before} to {cumulative[series]} in round {round}");
                }
            }

            previous = cumulative;
        }

        Assert.Equal(0.5, stats.GetStats().MedianProcessingTime); // the window holds only large values now
        Assert.Equal(180, previous!["batch_processing_duration_seconds_bucket{le=\"0.001953125\"}"]); // the small values, long gone from the window
    }

    /// <summary>A user's snapshot may hold NaN or infinities: the text writes them as the exposition format spells them.</summary>
    [Fact]
    public void Write_NaNAndInfiniteFigures_SpelledAsTheFormatSays()
    {
        var snapshot = new BatchStatsSnapshot { AvgProcessingTime = double.NaN, AvgLatency = double.PositiveInfinity, AvgQueueTime = double.NegativeInfinity };
        using var text = new StringWriter();
        BatchStatsPrometheus.Write(text, snapshot, new LockFreeBatchStats(4, 0).GetHistograms());
        string written = text.ToString();
        Assert.Contains("batch_window_processing_time_avg_seconds NaN\n", written, StringComparison.Ordinal);
        Assert.Contains("batch_window_latency_avg_seconds +Inf\n", written, StringComparison.Ordinal);
        Assert.Contains("batch_window_queue_time_avg_seconds -Inf\n", written, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_SeveralTrackers_EachFamilyOnceWithASeriesPerTracker()
    {
        var trackers = new Dictionary<string, LockFreeBatchStats> { ["a"] = ExportHistory.FixedHistory(), ["b"] = new LockFreeBatchStats(10, 0) };
        trackers["b"].Update(new BatchSample(0.5, 3, 0, 1, 0, 1));
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        BatchStatsPrometheus.Write(writer, trackers, new() { ConstantLabels = new Dictionary<string, string> { ["pool"] = "p" } });
        string text = writer.ToString();
        Assert.Equal(1, text.Split('\n').Count(l => l == "# TYPE batch_batches_total counter"));
        Assert.Contains("batch_batches_total{pool=\"p\",tracker=\"a\"} 40\n", text, StringComparison.Ordinal);
        Assert.Contains("batch_batches_total{pool=\"p\",tracker=\"b\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("batch_processing_duration_seconds_bucket{pool=\"p\",tracker=\"b\",le=\"+Inf\"} 1\n", text, StringComparison.Ordinal);

        using var stream = new MemoryStream();
        BatchStatsPrometheus.WriteProtobuf(stream, trackers);
        stream.Position = 0;
        MetricFamily first = MetricFamily.Parser.ParseDelimitedFrom(stream);
        Assert.Equal([40.0, 1.0], first.Metric.Select(m => m.Counter.Value));
        Assert.Equal(["a", "b"], first.Metric.Select(m => m.Label.Single(l => l.Name == "tracker").Value));
        Assert.Throws<ArgumentException>(() => BatchStatsPrometheus.Write(writer, new Dictionary<string, LockFreeBatchStats>()));
    }

    [Fact]
    public void Write_TrackerOfTheUsersOwnType_SameExpositionAsTheCoreTracker()
    {
        LockFreeBatchStats inner = ExportHistory.FixedHistory();
        var own = new ForwardingStats(inner);
        Assert.Equal(Render(w => BatchStatsPrometheus.Write(w, inner)), Render(w => BatchStatsPrometheus.Write(w, own)));
        Assert.Equal((1, 1), (own.SnapshotCalls, own.HistogramCalls));

        var mixed = new Dictionary<string, IBatchStatsWithHistograms> { ["core"] = inner, ["own"] = own };
        string text = Render(w => BatchStatsPrometheus.Write(w, mixed));
        Assert.Contains("batch_batches_total{tracker=\"core\"} 40\n", text, StringComparison.Ordinal);
        Assert.Contains("batch_batches_total{tracker=\"own\"} 40\n", text, StringComparison.Ordinal);
        Assert.Equal((2, 2), (own.SnapshotCalls, own.HistogramCalls));
        using var stream = new MemoryStream();
        BatchStatsPrometheus.WriteProtobuf(stream, own);
        Assert.Equal((3, 3), (own.SnapshotCalls, own.HistogramCalls));

        mixed["own"] = null!;
        ArgumentException e = Assert.Throws<ArgumentException>(() => Render(w => BatchStatsPrometheus.Write(w, mixed)));
        Assert.Equal("trackers", e.ParamName);
        Assert.Contains("'own'", e.Message, StringComparison.Ordinal);
    }

    private static string Render(Action<TextWriter> write)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        write(writer);
        return writer.ToString();
    }

    /// <summary>Every sample of a counter, or of a histogram's or summary's _bucket/_count/_sum, by series.</summary>
    private static Dictionary<string, double> Cumulative(string text)
    {
        var types = text.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal))
            .Select(l => l.Split(' ')).ToDictionary(p => p[2], p => p[3]);
        var result = new Dictionary<string, double>();
        foreach (string line in text.Split('\n').Where(l => l.Length > 0 && l[0] != '#'))
        {
            int space = line.LastIndexOf(' ');
            string series = line[..space];
            string name = series.Split('{')[0];
            string family = types.Keys.FirstOrDefault(f => name == f || name == f + "_bucket" || name == f + "_count" || name == f + "_sum") ?? name;
            bool cumulative = types[family] is "counter" or "histogram" || (types[family] == "summary" && name != family);
            if (cumulative)
            {
                result[series] = double.Parse(line[(space + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return result;
    }
}
