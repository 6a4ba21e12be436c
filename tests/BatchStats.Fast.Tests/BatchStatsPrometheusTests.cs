using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using BatchStats.Fast.Tests.PrometheusProto;
using Google.Protobuf;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary><see cref="BatchStatsPrometheus"/>: text and protobuf exposition, the counter contract, content negotiation.</summary>
public sealed class BatchStatsPrometheusTests
{
    private static readonly PrometheusExportOptions s_labelled = new()
    {
        ConstantLabels = new Dictionary<string, string> { ["pool"] = "gpu-0", ["model"] = "resnet \"50\"\\v2\nbeta" },
    };

    internal static string Text(LockFreeBatchStats stats, PrometheusExportOptions? options = null)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        BatchStatsPrometheus.Write(writer, stats, options);
        return writer.ToString();
    }

    [Fact]
    public void Write_FixedHistory_MatchesGoldenText()
    {
        string text = Text(ExportHistory.FixedHistory(), s_labelled);
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
            Text(ExportHistory.FixedHistory(), s_labelled),
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

    [Fact]
    public void Write_UserBuckets_SnappedToTheEdgeAtOrAboveThem()
    {
        var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 8, HistogramScale = 3 });
        stats.Update(new BatchSample(0.001, 1, 0, 0, 0, 1));
        string text = Text(stats, new() { HistogramBuckets = [0.001, 0.0010001, 0.5, 1] });
        double edge = Math.Pow(2, -79.0 / 8); // 2^(-79/8) ≈ 0.001036 is the smallest edge at or above 0.001
        Assert.Contains($"batch_processing_duration_seconds_bucket{{le=\"{edge:R}\"}} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("batch_processing_duration_seconds_bucket{le=\"0.5\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("batch_processing_duration_seconds_bucket{le=\"1\"} 1\n", text, StringComparison.Ordinal);
        Assert.Equal(4, text.Split('\n').Count(l => l.StartsWith("batch_processing_duration_seconds_bucket", StringComparison.Ordinal))); // 0.001 and 0.0010001 share an edge
    }

    /// <summary>
    /// The guide's example: one chosen bound snaps to different edges at scales 3 and 5 (so a fleet that sums classic
    /// buckets across scales should choose edges of the coarsest), while a power of two is the same edge at both.
    /// </summary>
    [Fact]
    public void UserBuckets_AtDifferentScales_SnapToDifferentEdgesUnlessEdgesOfTheCoarsest()
    {
        string Bounds(int scale)
        {
            var stats = new LockFreeBatchStats(new BatchStatsOptions { WindowSize = 8, HistogramScale = scale });
            stats.Update(new BatchSample(0.01, 1, 0, 0, 0, 1));
            string text = Text(stats, new() { HistogramBuckets = [0.015, 0.03125] });
            return string.Join(" ", text.Split('\n').Where(l => l.StartsWith("batch_processing_duration_seconds_bucket", StringComparison.Ordinal)).Select(l => l[(l.IndexOf('"', StringComparison.Ordinal) + 1)..l.LastIndexOf('"')]));
        }

        Assert.Equal("0.015625 0.03125 +Inf", Bounds(3));
        Assert.Equal($"{Math.Pow(2, -193.0 / 32):R} 0.03125 +Inf", Bounds(5));
        Assert.StartsWith("0.015290", Bounds(5), StringComparison.Ordinal); // as the guide writes it
    }

    /// <summary>
    /// Every edge at every scale, and the doubles next to it, snap to the smallest edge at or above them, found by a
    /// plain scan over the edges (the snap starts from a logarithm and corrects it both ways: near an edge the
    /// logarithm may round across it).
    /// </summary>
    [Fact]
    public void ClassicBuckets_EveryEdgeAndItsNeighbours_SnapToTheSmallestEdgeAtOrAbove()
    {
        for (int scale = 0; scale <= 6; scale++)
        {
            ExponentialHistogram empty = ExponentialHistogram.Create(scale, 0, 0, [], 0, double.PositiveInfinity, double.NegativeInfinity);
            long first = (long)Internal.ExponentialLayout.MinExponent << scale, last = ((long)Internal.ExponentialLayout.MaxExponent << scale) - 1;
            var edges = new List<double>();
            for (long index = first; index <= last; index++)
            {
                edges.Add(Internal.ExponentialLayout.UpperBound(index, scale));
            }

            foreach (double edge in edges)
            {
                foreach (double b in new[] { Math.BitDecrement(edge), edge, Math.BitIncrement(edge) })
                {
                    if (b > Internal.ExponentialLayout.MaxValue)
                    {
                        continue; // clamped to the top edge: covered by the range test
                    }

                    double expected = edges.First(e => e >= b); // the reference: a scan
                    Assert.Equal(expected, Assert.Single(Export.PrometheusFamilies.ClassicBuckets(empty, [b])).UpperBound);
                }
            }
        }
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
    public void WriteProtobuf_RoundTrip_ParsesWithGeneratedTypes()
    {
        LockFreeBatchStats stats = ExportHistory.FixedHistory();
        stats.Update(new BatchSample(0, 1, 0, 0, 0, 5000)); // a zero: the zero bucket
        using var stream = new MemoryStream();
        BatchStatsPrometheus.WriteProtobuf(stream, stats, s_labelled);
        stream.Position = 0;
        var families = new List<MetricFamily>();
        while (stream.Position < stream.Length)
        {
            families.Add(MetricFamily.Parser.ParseDelimitedFrom(stream));
        }

        Assert.Equal(
            ["batch_batches_total", "batch_processed_items_total", "batch_errors_total", "batch_rejected_samples_total",
             "batch_window_throughput_items_per_second", "batch_peak_throughput_items_per_second", "batch_error_ratio",
             "batch_window_processing_time_avg_seconds", "batch_window_latency_avg_seconds",
             "batch_window_queue_time_avg_seconds", "batch_window_queue_length_avg", "batch_window_queue_length_max",
             "batch_window_batch_size_avg", "batch_window_samples", "batch_processing_time_seconds", "batch_latency_seconds",
             "batch_processing_duration_seconds", "batch_queue_duration_seconds", "batch_latency_duration_seconds"],
            families.Select(f => f.Name));
        MetricFamily batches = families[0];
        Assert.Equal(MetricType.Counter, batches.Type);
        Assert.Equal(41, batches.Metric[0].Counter.Value);
        Assert.Equal(["model", "pool"], batches.Metric[0].Label.Select(l => l.Name).Order());
        Assert.Equal("resnet \"50\"\\v2\nbeta", batches.Metric[0].Label.Single(l => l.Name == "model").Value); // raw, not text-escaped
        Assert.Equal(MetricType.Gauge, families[13].Type);
        Assert.Equal(32, families[13].Metric[0].Gauge.Value);
        Assert.Equal(stats.GetStats().AvgProcessingTime, families[7].Metric[0].Gauge.Value);
        Assert.Equal(stats.GetStats().AvgLatency, families[8].Metric[0].Gauge.Value);

        Summary summary = families[14].Metric[0].Summary;
        Assert.Equal(41UL, summary.SampleCount);
        Assert.Equal([0.5, 0.95, 0.99], summary.Quantile.Select(q => q.Quantile_));

        ExponentialHistogram expected = stats.GetHistograms().ProcessingTime;
        Histogram h = families[16].Metric[0].Histogram;
        Assert.Equal(MetricType.Histogram, families[16].Type);
        Assert.Equal(41UL, h.SampleCount);
        Assert.Equal(expected.Sum, h.SampleSum);
        Assert.Equal(3, h.Schema);
        Assert.Equal(Math.ScaleB(1, -24), h.ZeroThreshold);
        Assert.Equal(1UL, h.ZeroCount);
        Assert.Equal(Decode(h), Enumerable.Range(0, expected.Counts.Length).Where(i => expected.Counts[i] != 0)
            .ToDictionary(i => expected.Offset + i + 1, i => expected.Counts[i])); // Prometheus index = OpenTelemetry index + 1
        Assert.Equal(21, h.Bucket.Count);
        Assert.Equal(Math.ScaleB(1, -14), h.Bucket[0].UpperBound);
        Assert.Equal(41UL, h.Bucket[^1].CumulativeCount);
    }

    /// <summary>
    /// The generated types write back exactly the bytes the library wrote: every field once, in field order, with no
    /// leftover bytes of an earlier message. 128 samples make a varint of exactly 0x80 (the histograms' sample count).
    /// </summary>
    [Fact]
    public void WriteProtobuf_ReserializedByTheGeneratedTypes_IsTheSameBytes()
    {
        LockFreeBatchStats stats = OneHundredTwentyEight();
        using var stream = new MemoryStream();
        BatchStatsPrometheus.WriteProtobuf(stream, stats, s_labelled);
        byte[] written = stream.ToArray();
        stream.Position = 0;
        using var again = new MemoryStream();
        int families = 0;
        while (stream.Position < stream.Length)
        {
            MetricFamily family = MetricFamily.Parser.ParseDelimitedFrom(stream);
            Assert.All(family.Metric, m => Assert.Equal(2, m.Label.Count));
            family.WriteDelimitedTo(again);
            families++;
        }

        Assert.Equal(19, families);
        Assert.Equal(written, again.ToArray());
    }

    /// <summary>
    /// Both expositions of one history carry the same families, help, types and samples: every text sample (counter,
    /// gauge, quantile, _sum, _count, each classic bucket and +Inf) equals its protobuf field, and nothing is left over.
    /// </summary>
    [Fact]
    public void WriteProtobuf_AgreesWithTheText_SampleBySample()
    {
        LockFreeBatchStats stats = OneHundredTwentyEight();
        BatchStatsSnapshot snapshot = stats.GetStats();
        BatchStatsHistograms histograms = stats.GetHistograms(); // both expositions of one snapshot: nothing changes between them
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        BatchStatsPrometheus.Write(text, snapshot, histograms);
        using var stream = new MemoryStream();
        BatchStatsPrometheus.WriteProtobuf(stream, snapshot, histograms);
        stream.Position = 0;

        var fromText = new Dictionary<string, double>();
        var help = new Dictionary<string, string>();
        var types = new Dictionary<string, string>();
        foreach (string line in text.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string[] parts = line.Split(' ', 4);
            if (line.StartsWith("# HELP ", StringComparison.Ordinal))
            {
                help[parts[2]] = parts[3];
            }
            else if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                types[parts[2]] = parts[3];
            }
            else
            {
                int space = line.LastIndexOf(' ');
                fromText[Key(line[..space])] = ParseValue(line[(space + 1)..]);
            }
        }

        var fromProtobuf = new Dictionary<string, double>();
        while (stream.Position < stream.Length)
        {
            MetricFamily f = MetricFamily.Parser.ParseDelimitedFrom(stream);
            Assert.Equal(help[f.Name], f.Help);
            Assert.Equal(types[f.Name], f.Type.ToString().ToLowerInvariant());
            Metric m = Assert.Single(f.Metric);
            switch (f.Type)
            {
                case MetricType.Counter:
                    fromProtobuf[f.Name] = m.Counter.Value;
                    break;
                case MetricType.Gauge:
                    fromProtobuf[f.Name] = m.Gauge.Value;
                    break;
                case MetricType.Summary:
                    fromProtobuf[f.Name + "_count"] = m.Summary.SampleCount;
                    fromProtobuf[f.Name + "_sum"] = m.Summary.SampleSum;
                    foreach (Quantile q in m.Summary.Quantile)
                    {
                        fromProtobuf[$"{f.Name}|{q.Quantile_.ToString("R", CultureInfo.InvariantCulture)}"] = q.Value;
                    }

                    break;
                default:
                    fromProtobuf[f.Name + "_count"] = m.Histogram.SampleCount;
                    fromProtobuf[f.Name + "_sum"] = m.Histogram.SampleSum;
                    fromProtobuf[f.Name + "_bucket|+Inf"] = m.Histogram.SampleCount;
                    foreach (Bucket b in m.Histogram.Bucket)
                    {
                        fromProtobuf[$"{f.Name}_bucket|{b.UpperBound.ToString("R", CultureInfo.InvariantCulture)}"] = b.CumulativeCount;
                    }

                    Assert.All(m.Histogram.PositiveSpan, span => Assert.True(span.Length > 0)); // no empty spans once a bucket is counted
                    break;
            }
        }

        Assert.Equal(fromText.OrderBy(p => p.Key, StringComparer.Ordinal), fromProtobuf.OrderBy(p => p.Key, StringComparer.Ordinal));

        // name{le="x"} or name{quantile="x"} -> name|x, the bound or quantile as the shortest round-trip double
        static string Key(string series)
        {
            int brace = series.IndexOf('{', StringComparison.Ordinal);
            if (brace < 0)
            {
                return series;
            }

            string value = series[(series.IndexOf('"', StringComparison.Ordinal) + 1)..series.LastIndexOf('"')];
            return series[..brace] + "|" + (value == "+Inf" ? value : ParseValue(value).ToString("R", CultureInfo.InvariantCulture));
        }

        static double ParseValue(string s) => s == "+Inf" ? double.PositiveInfinity : double.Parse(s, CultureInfo.InvariantCulture);
    }

    /// <summary>128 caller-stamped samples over several buckets, with errors.</summary>
    private static LockFreeBatchStats OneHundredTwentyEight()
    {
        var stats = new LockFreeBatchStats(64, 0);
        for (int i = 0; i < 128; i++)
        {
            double pt = (1 + (i % 13)) / 512.0;
            stats.Update(new BatchSample(pt, 1 + (i % 9), pt / 8, pt * 3, i % 6, Timestamp: 1000 + i));
        }

        stats.RecordError(2, 1050);
        return stats;
    }

    [Fact]
    public void WriteProtobuf_NothingRecorded_NativeHistogramsCarryTheNoOpSpan()
    {
        using var stream = new MemoryStream();
        BatchStatsPrometheus.WriteProtobuf(stream, new LockFreeBatchStats(10, 0));
        stream.Position = 0;
        MetricFamily last = null!;
        while (stream.Position < stream.Length)
        {
            last = MetricFamily.Parser.ParseDelimitedFrom(stream);
        }

        Histogram h = last.Metric[0].Histogram;
        Assert.Equal(0UL, h.SampleCount);
        BucketSpan span = Assert.Single(h.PositiveSpan);
        Assert.Equal((0, 0U), (span.Offset, span.Length));
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

    [Theory]
    [InlineData("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.2", true)]
    [InlineData("application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited", true)]
    [InlineData("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1", false)]
    [InlineData("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text", false)]
    [InlineData("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0", false)]
    [InlineData("APPLICATION/VND.GOOGLE.PROTOBUF; proto=io.prometheus.client.MetricFamily; encoding=delimited; q=0.5", true)]
    [InlineData("text/plain;version=0.0.4, application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited", true)]
    [InlineData("application/vnd.google.protobuf;proto=\"io.prometheus.client.MetricFamily\";encoding=delimited;q=1", true)]
    [InlineData("application/vnd.google.protobuf;encoding=delimited", false)]
    [InlineData("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily", false)]
    [InlineData("application/vnd.google.protobuf;proto=io.prometheus.client.Other;encoding=delimited", false)]
    [InlineData("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited; q = 0.0", false)]
    [InlineData("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0;level=1", false)]
    [InlineData("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=x", false)]
    [InlineData("text/plain;proto=io.prometheus.client.MetricFamily;encoding=delimited", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void AcceptsProtobuf_AcceptHeaders(string? accept, bool expected) =>
        Assert.Equal(expected, BatchStatsPrometheus.AcceptsProtobuf(accept));

    [Fact]
    public void Write_BadOptions_ThrowNamingOptions()
    {
        LockFreeBatchStats stats = ExportHistory.FixedHistory();
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => Text(stats, new() { Prefix = "9bad" })).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => Text(stats, new() { ConstantLabels = new Dictionary<string, string> { ["__x"] = "y" } })).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => Text(stats, new() { HistogramBuckets = [0.1, 0.05] })).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => Text(stats, new() { HistogramBuckets = [0, 0.05] })).ParamName);
    }

    /// <summary>A null label dictionary or label value is named as the options' fault, in both formats, before anything is written.</summary>
    [Fact]
    public void Write_NullConstantLabels_ThrowNamingOptions()
    {
        LockFreeBatchStats stats = ExportHistory.FixedHistory();
        var nullValue = new PrometheusExportOptions { ConstantLabels = new Dictionary<string, string> { ["model"] = null! } };
        var nullLabels = new PrometheusExportOptions { ConstantLabels = null! };
        foreach (PrometheusExportOptions options in new[] { nullValue, nullLabels })
        {
            using var writer = new StringWriter(CultureInfo.InvariantCulture);
            using var stream = new MemoryStream();
            Assert.Equal("options", Assert.Throws<ArgumentException>(() => BatchStatsPrometheus.Write(writer, stats, options)).ParamName);
            Assert.Equal("options", Assert.Throws<ArgumentException>(() => BatchStatsPrometheus.WriteProtobuf(stream, stats, options)).ParamName);
            Assert.Equal((0, 0L), (writer.ToString().Length, stream.Length));
        }

        Assert.StartsWith("The constant label 'model' has a null value.", Assert.Throws<ArgumentException>(() => Text(stats, nullValue)).Message, StringComparison.Ordinal);
        Assert.StartsWith("ConstantLabels must not be null", Assert.Throws<ArgumentException>(() => Text(stats, nullLabels)).Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Classic bounds go up to 2^15 s. Above it a bound would snap into the highest exponential bucket (ending at
    /// 2^16 s), which also counts every larger value, so its <c>le</c> would count values above it: refused.
    /// </summary>
    [Fact]
    public void Write_ClassicBoundsAbove2To15_AreRefused_AndValuesAbove2To16CountOnlyInInf()
    {
        var stats = new LockFreeBatchStats(10, 0);
        stats.Update(0.01, 1, 0, 0.01);
        stats.Update(1e5, 1, 0, 1e5); // above 2^16 s: counted in the highest bucket
        string text = Text(stats, new() { HistogramBuckets = [1, 32768] });
        Assert.Contains("batch_processing_duration_seconds_bucket{le=\"32768\"} 1\n", text, StringComparison.Ordinal);
        Assert.Contains("batch_processing_duration_seconds_bucket{le=\"+Inf\"} 2\n", text, StringComparison.Ordinal);
        foreach (double bound in new[] { 32768.5, 40000, 65536, 1e30 })
        {
            ArgumentException e = Assert.Throws<ArgumentException>(() => Text(stats, new() { HistogramBuckets = [1, bound] }));
            Assert.Equal("options", e.ParamName);
            Assert.StartsWith("Histogram buckets must be at most 32768 s (2^15)", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Write_NullArguments_ThrowNamingThem()
    {
        LockFreeBatchStats stats = ExportHistory.FixedHistory();
        BatchStatsSnapshot snapshot = stats.GetStats();
        BatchStatsHistograms histograms = stats.GetHistograms();
        var trackers = new Dictionary<string, LockFreeBatchStats> { ["a"] = stats };
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        using var stream = new MemoryStream();
        Assert.Equal("writer", Assert.Throws<ArgumentNullException>(() => BatchStatsPrometheus.Write(null!, stats)).ParamName);
        Assert.Equal("stats", Assert.Throws<ArgumentNullException>(() => BatchStatsPrometheus.Write(writer, (LockFreeBatchStats)null!)).ParamName);
        Assert.Equal("writer", Assert.Throws<ArgumentNullException>(() => BatchStatsPrometheus.Write(null!, snapshot, histograms)).ParamName);
        Assert.Equal("snapshot", Assert.Throws<ArgumentNullException>(() => BatchStatsPrometheus.Write(writer, null!, histograms)).ParamName);
        Assert.Equal("histograms", Assert.Throws<ArgumentNullException>(() => BatchStatsPrometheus.Write(writer, snapshot, null!)).ParamName);
        Assert.Equal("stream", Assert.Throws<ArgumentNullException>(() => BatchStatsPrometheus.WriteProtobuf(null!, stats)).ParamName);
        Assert.Equal("stats", Assert.Throws<ArgumentNullException>(() => BatchStatsPrometheus.WriteProtobuf(stream, (LockFreeBatchStats)null!)).ParamName);
        Assert.Equal("stream", Assert.Throws<ArgumentNullException>(() => BatchStatsPrometheus.WriteProtobuf(null!, snapshot, histograms)).ParamName);
        Assert.Equal("snapshot", Assert.Throws<ArgumentNullException>(() => BatchStatsPrometheus.WriteProtobuf(stream, null!, histograms)).ParamName);
        Assert.Equal("histograms", Assert.Throws<ArgumentNullException>(() => BatchStatsPrometheus.WriteProtobuf(stream, snapshot, null!)).ParamName);
        Assert.Equal("writer", Assert.Throws<ArgumentNullException>(() => BatchStatsPrometheus.Write(null!, trackers)).ParamName);
        Assert.Equal("trackers", Assert.Throws<ArgumentNullException>(() => BatchStatsPrometheus.Write(writer, (Dictionary<string, LockFreeBatchStats>)null!)).ParamName);
        Assert.Equal("stream", Assert.Throws<ArgumentNullException>(() => BatchStatsPrometheus.WriteProtobuf(null!, trackers)).ParamName);
        Assert.Equal("trackers", Assert.Throws<ArgumentNullException>(() => BatchStatsPrometheus.WriteProtobuf(stream, (Dictionary<string, LockFreeBatchStats>)null!)).ParamName);
        ArgumentException none = Assert.Throws<ArgumentException>(() => BatchStatsPrometheus.WriteProtobuf(stream, new Dictionary<string, LockFreeBatchStats>()));
        Assert.Equal("trackers", none.ParamName);
        Assert.StartsWith("At least one tracker is needed.", none.Message, StringComparison.Ordinal);
        Assert.Equal(0, stream.Length); // nothing written on bad input
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("9batch", false)]
    [InlineData("batch-x", false)]
    [InlineData("batch x", false)]
    [InlineData("_batch", true)]
    [InlineData("ns:batch", true)]
    [InlineData("Batch_9", true)]
    public void Write_Prefix_MetricNameRules(string prefix, bool valid)
    {
        LockFreeBatchStats stats = ExportHistory.FixedHistory();
        if (valid)
        {
            Assert.Contains($"\n{prefix}_batches_total 40\n", Text(stats, new() { Prefix = prefix }), StringComparison.Ordinal);
        }
        else
        {
            ArgumentException e = Assert.Throws<ArgumentException>(() => Text(stats, new() { Prefix = prefix }));
            Assert.Equal("options", e.ParamName);
            Assert.Contains($"'{prefix}' is not a valid Prometheus metric name prefix", e.Message, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("9pool", false)]
    [InlineData("ns:pool", false)]
    [InlineData("__pool", false)]
    [InlineData("pool-name", false)]
    [InlineData("_pool", true)]
    [InlineData("pool_9", true)]
    [InlineData("le", false)] // the histograms' bucket label: a second one would make the exposition invalid
    [InlineData("quantile", false)] // the summaries' quantile label, likewise
    public void Write_ConstantLabel_LabelNameRules(string name, bool valid)
    {
        LockFreeBatchStats stats = ExportHistory.FixedHistory();
        var options = new PrometheusExportOptions { ConstantLabels = new Dictionary<string, string> { [name] = "v" } };
        if (valid)
        {
            Assert.Contains($"batch_batches_total{{{name}=\"v\"}} 40\n", Text(stats, options), StringComparison.Ordinal);
        }
        else
        {
            ArgumentException e = Assert.Throws<ArgumentException>(() => Text(stats, options));
            Assert.Equal("options", e.ParamName);
            Assert.Contains($"'{name}' is not a valid Prometheus label name", e.Message, StringComparison.Ordinal);
        }
    }

    /// <summary>The refusal of <c>le</c> and <c>quantile</c> says which series already carry the label.</summary>
    [Theory]
    [InlineData("le", "histogram bucket")]
    [InlineData("quantile", "summary quantile")]
    public void Write_ConstantLabelLeOrQuantile_MessageSaysWhereTheExpositionWritesIt(string name, string where)
    {
        var options = new PrometheusExportOptions { ConstantLabels = new Dictionary<string, string> { [name] = "v" } };
        ArgumentException e = Assert.Throws<ArgumentException>(() => Text(ExportHistory.FixedHistory(), options));
        Assert.StartsWith($"'{name}' is not a valid Prometheus label name for a constant label: the exposition writes it on every {where}.", e.Message, StringComparison.Ordinal);
    }

    /// <summary>The several-tracker overloads label each tracker's series <c>tracker</c>: a constant label of that name is refused, not overwritten.</summary>
    [Fact]
    public void WriteSeveral_ConstantLabelTracker_Refused()
    {
        var trackers = new Dictionary<string, LockFreeBatchStats> { ["a"] = ExportHistory.FixedHistory() };
        var options = new PrometheusExportOptions { ConstantLabels = new Dictionary<string, string> { ["tracker"] = "mine" } };
        ArgumentException text = Assert.Throws<ArgumentException>(() => BatchStatsPrometheus.Write(new StringWriter(), trackers, options));
        Assert.Equal("options", text.ParamName);
        Assert.Contains("'tracker' clashes", text.Message, StringComparison.Ordinal);
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => BatchStatsPrometheus.WriteProtobuf(new MemoryStream(), trackers, options)).ParamName);
        Assert.Contains("batch_batches_total{tracker=\"mine\"} 40\n", Text(trackers["a"], options), StringComparison.Ordinal); // one tracker: the user's label
    }

    [Theory]
    [InlineData(new[] { 0.1, 0.1 })]
    [InlineData(new[] { -1.0 })]
    [InlineData(new[] { double.NaN })]
    [InlineData(new[] { double.PositiveInfinity })]
    [InlineData(new[] { 0.5, 1.0, 0.75 })]
    public void Write_BadBuckets_ThrowNamingOptions(double[] buckets)
    {
        ArgumentException e = Assert.Throws<ArgumentException>(() => Text(ExportHistory.FixedHistory(), new() { HistogramBuckets = buckets }));
        Assert.Equal("options", e.ParamName);
        Assert.Contains("finite, positive and strictly ascending", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Write_OneSmallestBucket_IsAccepted()
    {
        string text = Text(ExportHistory.FixedHistory(), new() { HistogramBuckets = [double.Epsilon] });
        Assert.Contains("batch_processing_duration_seconds_bucket{le=\"+Inf\"} 40\n", text, StringComparison.Ordinal);
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

    /// <summary>
    /// Histograms at scales Prometheus has no schema for, as a fleet merge of OpenTelemetry SDK histograms may hold: one
    /// finer than schema 8 is written as a native histogram at schema 8 (counts downscaled, classic buckets from the
    /// full scale); one coarser than -4 has no native form and is written with its classic buckets alone, which
    /// Prometheus reads as a classic histogram.
    /// </summary>
    [Fact]
    public void WriteProtobuf_ScalesOutsidePrometheusSchemas_Schema8OrClassicOnly()
    {
        (BatchStatsSnapshot snapshot, BatchStatsHistograms histograms) = OutsidePrometheusSchemas();
        using var stream = new MemoryStream();
        BatchStatsPrometheus.WriteProtobuf(stream, snapshot, histograms);
        stream.Position = 0;
        var families = new Dictionary<string, MetricFamily>();
        while (stream.Position < stream.Length)
        {
            MetricFamily family = MetricFamily.Parser.ParseDelimitedFrom(stream);
            families[family.Name] = family;
        }

        Histogram fine = families["batch_processing_duration_seconds"].Metric[0].Histogram;
        ExponentialHistogram at8 = histograms.ProcessingTime.Downscale(8);
        Assert.Equal(8, fine.Schema);
        Assert.Equal((1UL, 9UL), (fine.ZeroCount, fine.SampleCount));
        Assert.Equal(Decode(fine), Enumerable.Range(0, at8.Counts.Length).Where(i => at8.Counts[i] != 0).ToDictionary(i => at8.Offset + i + 1, i => at8.Counts[i]));
        Assert.Equal([1UL, 9UL, 9UL], fine.Bucket.Where(b => b.UpperBound is 0.0078125 or 0.015625 or 0.5).Select(b => b.CumulativeCount)); // powers of two: edges at every scale

        Histogram coarse = families["batch_queue_duration_seconds"].Metric[0].Histogram;
        Assert.False(coarse.HasSchema);
        Assert.False(coarse.HasZeroThreshold);
        Assert.Empty(coarse.PositiveSpan);
        Assert.Equal(4UL, coarse.SampleCount);
        Assert.Equal([(1.0, 0UL)], coarse.Bucket.Select(b => (b.UpperBound, b.CumulativeCount))); // every default bound snaps to 1; the rest to +∞
        Assert.Equal(3, families["batch_latency_duration_seconds"].Metric[0].Histogram.Schema);

        // The ends of Prometheus's schemas are written as they are.
        foreach (int scale in new[] { -4, 8 })
        {
            double v = Math.Pow(2, Math.ScaleB(1, -scale)); // the upper bound of bucket 0
            ExponentialHistogram edge = ExponentialHistogram.Create(scale, 0, 0, [2], 2 * v, v, v);
            using var one = new MemoryStream();
            BatchStatsPrometheus.WriteProtobuf(one, snapshot, new BatchStatsHistograms(edge, edge, edge));
            one.Position = 0;
            Histogram written = Enumerable.Range(0, 19).Select(_ => MetricFamily.Parser.ParseDelimitedFrom(one))
                .Single(f => f.Name == "batch_processing_duration_seconds").Metric[0].Histogram;
            Assert.Equal(scale, written.Schema);
            Assert.Equal(new Dictionary<long, long> { [1] = 2 }, Decode(written));
        }
    }

    /// <summary>
    /// A fleet merge with a zero threshold of 10 ms (a producer that counts everything up to that as zero) has no
    /// classic bucket below it: how many of its zero-bucket values lie under 2^-7 s is not known. The first bucket
    /// written is the first bound at or above the threshold, and counts the whole zero bucket.
    /// </summary>
    [Fact]
    public void Write_ZeroThresholdAboveSomeBounds_LeavesThoseBoundsOut()
    {
        var stats = new LockFreeBatchStats(10, 0);
        stats.Update(0.001, 1, 0.001, 0.02);
        stats.Update(0.03, 1, 0.001, 0.02);
        ExponentialHistogram foreign = ExponentialHistogram.Create(3, 4, 0, [], 0.02, 0.001, 0.009, zeroThreshold: 0.01);
        ExponentialHistogram merged = ExponentialHistogram.Merge(stats.GetHistograms().ProcessingTime, foreign);
        Assert.Equal((5L, 0.01), (merged.ZeroCount, merged.ZeroThreshold)); // the tracker's 1 ms joined the zero bucket
        var histograms = new BatchStatsHistograms(merged, merged, merged);
        using var stream = new MemoryStream();
        BatchStatsPrometheus.WriteProtobuf(stream, stats.GetStats(), histograms);
        stream.Position = 0;
        Histogram h = Enumerable.Range(0, 19).Select(_ => MetricFamily.Parser.ParseDelimitedFrom(stream))
            .Single(f => f.Name == "batch_processing_duration_seconds").Metric[0].Histogram;
        Assert.Equal((0.015625, 5UL), (h.Bucket[0].UpperBound, h.Bucket[0].CumulativeCount));
        Assert.Equal(6UL, h.Bucket[^1].CumulativeCount);
        Assert.Equal(13, h.Bucket.Count); // 2^-6 to 2^6 (2^-14 to 2^-7 lie below the threshold)

        string text = Text((stats.GetStats(), histograms));
        Assert.Contains("batch_processing_duration_seconds_bucket{le=\"0.015625\"} 5\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("le=\"0.0078125\"", text, StringComparison.Ordinal);

        // A threshold that is itself a bound keeps that bound: every zero-bucket value lies at or below it.
        ExponentialHistogram atBound = ExponentialHistogram.Create(3, 4, 0, [], 0.02, 0.001, 0.009, zeroThreshold: 0.015625);
        List<(double UpperBound, long CumulativeCount)> buckets = Export.PrometheusFamilies.ClassicBuckets(atBound, Export.PrometheusFamilies.DefaultBounds);
        Assert.Equal((0.015625, 4L), buckets[0]);
    }

    /// <summary>
    /// A snapshot with processing times at scale 20 (one zero, three values just above 2^-7 and five just below 2^-6)
    /// and queue times at scale -11 (four values from 2 to 3, in the bucket (1, 2^2048]).
    /// </summary>
    private static (BatchStatsSnapshot, BatchStatsHistograms) OutsidePrometheusSchemas()
    {
        var stats = new LockFreeBatchStats(10, 0);
        stats.Update(0.01, 1, 0.001, 0.011);
        long first = -(7L << 20), last = -(6L << 20) - 1; // (2^-7, 2^(-7 + 2^-20)] and the bucket ending at 2^-6
        var counts = new long[last - first + 1];
        (counts[0], counts[^1]) = (3, 5);
        ExponentialHistogram fine = ExponentialHistogram.Create(20, 1, first, counts, 0.1, 0, 0.015625, zeroThreshold: 0);
        ExponentialHistogram coarse = ExponentialHistogram.Create(-11, 0, 0, [4], 10, 2, 3);
        return (stats.GetStats(), new BatchStatsHistograms(fine, coarse, stats.GetHistograms().Latency));
    }

    private static string Text((BatchStatsSnapshot Snapshot, BatchStatsHistograms Histograms) parts)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        BatchStatsPrometheus.Write(writer, parts.Snapshot, parts.Histograms);
        return writer.ToString();
    }

    /// <summary>The native histogram's buckets: Prometheus index → count, from spans and deltas.</summary>
    private static Dictionary<long, long> Decode(Histogram h)
    {
        var buckets = new Dictionary<long, long>();
        long index = 0, count = 0;
        int delta = 0;
        for (int s = 0; s < h.PositiveSpan.Count; s++)
        {
            index += h.PositiveSpan[s].Offset;
            for (int i = 0; i < h.PositiveSpan[s].Length; i++, index++)
            {
                count += h.PositiveDelta[delta++];
                buckets[index] = count;
            }
        }

        return buckets;
    }
}
