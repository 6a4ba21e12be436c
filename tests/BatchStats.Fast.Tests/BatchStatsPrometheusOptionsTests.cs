using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using BatchStats.Fast.Tests.PrometheusProto;
using Xunit;
using static BatchStats.Fast.Tests.PrometheusExposition;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="PrometheusExportOptions"/> in the exposition: classic buckets snapped to exact edges, the metric-name and
/// label-name rules, and bad options or arguments named before anything is written.
/// </summary>
public sealed class BatchStatsPrometheusOptionsTests
{
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

    [Fact]
    public void Write_OneSmallestBucket_IsAccepted()
    {
        string text = Text(ExportHistory.FixedHistory(), new() { HistogramBuckets = [double.Epsilon] });
        Assert.Contains("batch_processing_duration_seconds_bucket{le=\"+Inf\"} 40\n", text, StringComparison.Ordinal);
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
}
