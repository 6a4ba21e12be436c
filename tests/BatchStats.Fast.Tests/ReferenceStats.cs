using System;
using System.Collections.Generic;
using System.Linq;

namespace BatchStats.Fast.Tests;

/// <summary>
/// The obviously-correct reference: a list of every sample, the window taken as the last N, figures computed by
/// sorting and by exactly rounded sums (Math.FusedMultiplyAdd-free, via decimal-free fsum). Slow on purpose.
/// </summary>
internal sealed class ReferenceStats
{
    private readonly int _window;
    private readonly List<BatchSample> _samples = [];

    public ReferenceStats(int window) => _window = window;

    public long Errors { get; private set; }

    public void Add(BatchSample s) => _samples.Add(s);

    public void AddErrors(int count) => Errors += count;

    public IReadOnlyList<BatchSample> Window => _samples.Skip(Math.Max(0, _samples.Count - _window)).ToList();

    public long TotalProcessed => _samples.Sum(s => (long)s.BatchSize);

    public long BatchCount => _samples.Count;

    public Dictionary<string, double> Figures()
    {
        IReadOnlyList<BatchSample> w = Window;
        double errorRate = (double)Errors / Math.Max(1, TotalProcessed);
        var d = new Dictionary<string, double>
        {
            ["error_rate"] = errorRate,
            ["total_errors"] = Errors,
            ["total_processed"] = TotalProcessed,
            ["batch_count"] = BatchCount,
            ["window_count"] = w.Count,
        };
        if (w.Count == 0)
        {
            foreach (string k in new[] { "avg_processing_time", "median_processing_time", "p95_processing_time", "p99_processing_time", "min_processing_time", "max_processing_time", "avg_batch_size", "min_batch_size", "max_batch_size", "avg_queue_time", "avg_latency", "median_latency", "p95_latency", "p99_latency", "avg_queue_length", "max_queue_length", "throughput" })
            {
                d[k] = 0;
            }

            return d;
        }

        double[] pt = w.Select(s => s.ProcessingTime).OrderBy(x => x).ToArray();
        double[] lat = w.Select(s => s.Latency).OrderBy(x => x).ToArray();
        long batchSum = w.Sum(s => (long)s.BatchSize);
        double ptSum = ExactSum(pt);
        d["avg_processing_time"] = ptSum / w.Count;
        d["median_processing_time"] = NumpyPercentile(pt, 50);
        d["p95_processing_time"] = NumpyPercentile(pt, 95);
        d["p99_processing_time"] = NumpyPercentile(pt, 99);
        d["min_processing_time"] = pt[0];
        d["max_processing_time"] = pt[^1];
        d["avg_batch_size"] = (double)batchSum / w.Count;
        d["min_batch_size"] = w.Min(s => s.BatchSize);
        d["max_batch_size"] = w.Max(s => s.BatchSize);
        d["avg_queue_time"] = ExactSum(w.Select(s => s.QueueTime)) / w.Count;
        d["avg_latency"] = ExactSum(lat) / w.Count;
        d["median_latency"] = NumpyPercentile(lat, 50);
        d["p95_latency"] = NumpyPercentile(lat, 95);
        d["p99_latency"] = NumpyPercentile(lat, 99);
        d["avg_queue_length"] = (double)w.Sum(s => (long)s.QueueLength) / w.Count;
        d["max_queue_length"] = w.Max(s => s.QueueLength);
        d["throughput"] = ptSum > 0 ? batchSum / ptSum : 0;
        return d;
    }

    /// <summary>numpy.percentile's linear method, written straight from numpy's source.</summary>
    public static double NumpyPercentile(double[] sorted, double p)
    {
        double q = p / 100.0;
        double virtualIndex = (sorted.Length - 1) * q;
        double previous = Math.Floor(virtualIndex);
        double gamma = virtualIndex - previous;
        int lo = (int)previous;
        int hi = Math.Min(lo + 1, sorted.Length - 1);
        double a = sorted[lo], b = sorted[hi];
        double diff = b - a;
        return gamma >= 0.5 ? b - (diff * (1 - gamma)) : a + (diff * gamma);
    }

    /// <summary>The exactly rounded sum (Shewchuk's algorithm, as Python's math.fsum).</summary>
    public static double ExactSum(IEnumerable<double> values)
    {
        var partials = new List<double>();
        foreach (double value in values)
        {
            double x = value;
            int i = 0;
            for (int j = 0; j < partials.Count; j++)
            {
                double y = partials[j];
                if (Math.Abs(x) < Math.Abs(y))
                {
                    (x, y) = (y, x);
                }

                double hi = x + y;
                double lo = y - (hi - x);
                if (lo != 0)
                {
                    partials[i++] = lo;
                }

                x = hi;
            }

            partials.RemoveRange(i, partials.Count - i);
            partials.Add(x);
        }

        double sum = 0;
        for (int i = partials.Count - 1; i >= 0; i--)
        {
            sum += partials[i];
        }

        return sum;
    }
}
