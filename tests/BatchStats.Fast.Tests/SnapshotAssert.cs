using System;
using System.Collections.Generic;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>A snapshot against expected figures (a reference's or a model's): order statistics and integer figures bit for bit, means within 1e-12.</summary>
internal static class SnapshotAssert
{
    /// <summary>Figures that must match the reference bit for bit (order statistics and integer figures).</summary>
    private static readonly HashSet<string> s_exact =
    [
        "median_processing_time", "p95_processing_time", "p99_processing_time", "min_processing_time", "max_processing_time",
        "median_latency", "p95_latency", "p99_latency", "min_batch_size", "max_batch_size", "max_queue_length", "avg_batch_size", "avg_queue_length",
        "error_rate", "total_errors", "total_processed", "batch_count", "window_count",
    ];

    /// <summary>Means and throughput: within 1e-12 relative of the exactly rounded value (the documented bound).</summary>
    public const double MeanTolerance = 1e-12;

    public static void Matches(IReadOnlyDictionary<string, double> expected, BatchStatsSnapshot actual, string context = "")
    {
        IReadOnlyDictionary<string, double> got = actual.ToDictionary();
        foreach ((string key, double want) in expected)
        {
            double have = got[key];
            if (s_exact.Contains(key))
            {
                Assert.True(
                    BitConverter.DoubleToInt64Bits(want) == BitConverter.DoubleToInt64Bits(have) || (want == 0 && have == 0),
                    $"{context} {key}: expected {want:R}, got {have:R}");
            }
            else
            {
                Assert.True(RelativelyClose(want, have, MeanTolerance), $"{context} {key}: expected {want:R}, got {have:R}");
            }
        }
    }

    public static bool RelativelyClose(double expected, double actual, double tolerance) =>
        expected == actual || Math.Abs(expected - actual) <= tolerance * Math.Max(Math.Abs(expected), Math.Abs(actual));
}
