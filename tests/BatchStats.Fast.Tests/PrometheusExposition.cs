using System.Collections.Generic;
using System.Globalization;
using System.IO;

namespace BatchStats.Fast.Tests;

/// <summary>
/// What the Prometheus exposition tests share: labelled options, the text of a tracker or of a snapshot with its
/// histograms, and histograms at scales outside Prometheus' native-histogram schemas.
/// </summary>
internal static class PrometheusExposition
{
    /// <summary>Two constant labels, one whose value needs every escape the text format has.</summary>
    public static readonly PrometheusExportOptions Labelled = new()
    {
        ConstantLabels = new Dictionary<string, string> { ["pool"] = "gpu-0", ["model"] = "resnet \"50\"\\v2\nbeta" },
    };

    /// <summary>The text exposition of <paramref name="stats"/>.</summary>
    public static string Text(LockFreeBatchStats stats, PrometheusExportOptions? options = null)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        BatchStatsPrometheus.Write(writer, stats, options);
        return writer.ToString();
    }

    /// <summary>
    /// A snapshot with processing times at scale 20 (one zero, three values just above 2^-7 and five just below 2^-6)
    /// and queue times at scale -11 (four values from 2 to 3, in the bucket (1, 2^2048]).
    /// </summary>
    public static (BatchStatsSnapshot, BatchStatsHistograms) OutsidePrometheusSchemas()
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

    /// <summary>The text exposition of a snapshot and its histograms.</summary>
    public static string Text((BatchStatsSnapshot Snapshot, BatchStatsHistograms Histograms) parts)
    {
        using var writer = new StringWriter(CultureInfo.InvariantCulture);
        BatchStatsPrometheus.Write(writer, parts.Snapshot, parts.Histograms);
        return writer.ToString();
    }
}
