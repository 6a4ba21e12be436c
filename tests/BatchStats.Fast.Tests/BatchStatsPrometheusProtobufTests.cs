using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using BatchStats.Fast.Tests.PrometheusProto;
using Google.Protobuf;
using Xunit;
using static BatchStats.Fast.Tests.PrometheusExposition;

namespace BatchStats.Fast.Tests;

/// <summary>
/// <see cref="BatchStatsPrometheus"/>'s protobuf exposition: parsed with types generated from Prometheus' <c>metrics.proto</c>,
/// native histograms against the text's classic buckets, schemas, content negotiation.
/// </summary>
public sealed class BatchStatsPrometheusProtobufTests
{
    [Fact]
    public void WriteProtobuf_RoundTrip_ParsesWithGeneratedTypes()
    {
        LockFreeBatchStats stats = ExportHistory.FixedHistory();
        stats.Update(new BatchSample(0, 1, 0, 0, 0, 5000)); // a zero: the zero bucket
        using var stream = new MemoryStream();
        BatchStatsPrometheus.WriteProtobuf(stream, stats, Labelled);
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
        BatchStatsPrometheus.WriteProtobuf(stream, stats, Labelled);
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
