using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text.Json;
using System.Text.Json.Serialization;
using Xunit;

namespace BatchStats.Fast.Tests;

/// <summary>numpy-computed golden values (TestData/generate_golden.py), loaded once.</summary>
internal static class Golden
{
    private static readonly Lazy<GoldenFile> s_file = new(() =>
        JsonSerializer.Deserialize<GoldenFile>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "numpy_golden.json")))
        ?? throw new InvalidDataException("empty golden file"));

    public static GoldenFile File_ => s_file.Value;

    /// <summary>The names of the percentile cases, for <c>[MemberData]</c>.</summary>
    public static TheoryData<string> CaseNames() => new(File_.Cases.Select(c => c.Name));

    /// <summary>The names of the recorded histories, for <c>[MemberData]</c>.</summary>
    public static TheoryData<string> HistoryNames() => new(File_.Histories.Select(h => h.Name));

    internal sealed class GoldenFile
    {
        [JsonPropertyName("numpy_version")] public string NumpyVersion { get; set; } = "";
        [JsonPropertyName("cases")] public List<PercentileCase> Cases { get; set; } = [];
        [JsonPropertyName("histories")] public List<History> Histories { get; set; } = [];
    }

    internal sealed class PercentileCase
    {
        [JsonPropertyName("name")] public string Name { get; set; } = "";
        [JsonPropertyName("values")] public double[] Values { get; set; } = [];
        [JsonPropertyName("percentiles")] public double[] Percentiles { get; set; } = [];
        [JsonPropertyName("expected")] public double[] Expected { get; set; } = [];
        [JsonPropertyName("exact_mean")] public double ExactMean { get; set; }

        public override string ToString() => Name;
    }

    internal sealed class History
    {
        [JsonPropertyName("name")] public string Name { get; set; } = "";
        [JsonPropertyName("window")] public int Window { get; set; }
        [JsonPropertyName("processing_times")] public double[] ProcessingTimes { get; set; } = [];
        [JsonPropertyName("latencies")] public double[] Latencies { get; set; } = [];
        [JsonPropertyName("batch_sizes")] public int[] BatchSizes { get; set; } = [];
        [JsonPropertyName("expected")] public Dictionary<string, double> Expected { get; set; } = [];

        public override string ToString() => Name;
    }
}
