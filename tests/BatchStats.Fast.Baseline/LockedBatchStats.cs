using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Linq;
using System.Threading;

namespace BatchStats.Fast.Baseline;

/// <summary>
/// The locked baseline: a faithful port of the reference Python <c>BatchStats</c> class — one lock guarding five
/// bounded queues (processing times, batch sizes, queue times, latencies, queue lengths), all-time counters and a
/// time-based cache — with the figures defined as in the README (windowed throughput, numpy percentiles by sorting
/// a copy). The window is the last WindowSize updates in arrival order; caller timestamps and
/// <see cref="BatchStatsOptions.MaxSampleAge"/> are not supported (the reference class has neither).
/// </summary>
public sealed class LockedBatchStats : IBatchStats
{
    private readonly Lock _lock = new();
    private readonly int _windowSize;
    private readonly long _cacheValidTicks;
    private readonly bool _dropInvalid;
    private readonly Queue<double> _processingTimes = new();
    private readonly Queue<int> _batchSizes = new();
    private readonly Queue<double> _queueTimes = new();
    private readonly Queue<double> _latencies = new();
    private readonly Queue<int> _queueLengths = new();
    private long _totalProcessed;
    private long _batchCount;
    private long _totalErrors;
    private long _rejected;
    private double _peakThroughput;
    private BatchStatsSnapshot? _cache;
    private long _cacheTime;
    private bool _dirty = true;

    /// <summary>Creates the baseline tracker.</summary>
    /// <param name="windowSize">Samples in the window.</param>
    /// <param name="cacheValidTime">Seconds a snapshot may be served from cache.</param>
    /// <param name="policy">Bad-input policy.</param>
    public LockedBatchStats(int windowSize = 1000, double cacheValidTime = 1.0, InvalidSamplePolicy policy = InvalidSamplePolicy.Throw)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windowSize, 1);
        _windowSize = windowSize;
        _cacheValidTicks = (long)(cacheValidTime * Stopwatch.Frequency);
        _dropInvalid = policy == InvalidSamplePolicy.Drop;
    }

    /// <inheritdoc />
    public void Update(double processingTime, int batchSize, double queueTime, double latency = 0, int queueLength = 0)
    {
        string? bad = Check(processingTime, batchSize, queueTime, latency, queueLength);
        lock (_lock)
        {
            if (bad is not null)
            {
                Reject(bad);
                return;
            }

            Append(processingTime, batchSize, queueTime, latency, queueLength);
        }
    }

    /// <inheritdoc />
    public void Update(in BatchSample sample) =>
        Update(sample.ProcessingTime, sample.BatchSize, sample.QueueTime, sample.Latency, sample.QueueLength);

    /// <inheritdoc />
    public void UpdateMany(ReadOnlySpan<BatchSample> samples)
    {
        lock (_lock)
        {
            if (!_dropInvalid)
            {
                foreach (BatchSample s in samples)
                {
                    string? bad = Check(s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength);
                    if (bad is not null)
                    {
                        throw new ArgumentOutOfRangeException(nameof(samples), bad);
                    }
                }
            }

            foreach (BatchSample s in samples)
            {
                if (Check(s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength) is null)
                {
                    Append(s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength);
                }
                else
                {
                    _rejected++;
                    _dirty = true;
                }
            }
        }
    }

    /// <inheritdoc />
    public void RecordError(int count = 1)
    {
        lock (_lock)
        {
            if (count < 1)
            {
                Reject(nameof(count));
                return;
            }

            _totalErrors += count;
            _dirty = true;
        }
    }

    /// <inheritdoc />
    public BatchStatsSnapshot GetStats()
    {
        lock (_lock)
        {
            long now = Stopwatch.GetTimestamp();
            if (_cache is not null && (!_dirty || now - _cacheTime < _cacheValidTicks))
            {
                return _cache;
            }

            _cache = Compute();
            _cacheTime = now;
            _dirty = false;
            return _cache;
        }
    }

    private void Append(double processingTime, int batchSize, double queueTime, double latency, int queueLength)
    {
        Bounded(_processingTimes, processingTime);
        Bounded(_batchSizes, batchSize);
        Bounded(_queueTimes, queueTime);
        Bounded(_latencies, latency);
        Bounded(_queueLengths, queueLength);
        _totalProcessed += batchSize;
        _batchCount++;
        _dirty = true;
    }

    private void Bounded<T>(Queue<T> queue, T value)
    {
        if (queue.Count == _windowSize)
        {
            queue.Dequeue();
        }

        queue.Enqueue(value);
    }

    private void Reject(string paramName)
    {
        if (!_dropInvalid)
        {
            throw new ArgumentOutOfRangeException(paramName);
        }

        _rejected++;
        _dirty = true;
    }

    private static string? Check(double processingTime, int batchSize, double queueTime, double latency, int queueLength)
    {
        static bool Bad(double x) => double.IsNaN(x) || double.IsInfinity(x) || x < 0;
        return Bad(processingTime) ? nameof(processingTime)
            : batchSize < 0 ? nameof(batchSize)
            : Bad(queueTime) ? nameof(queueTime)
            : Bad(latency) ? nameof(latency)
            : queueLength < 0 ? nameof(queueLength)
            : null;
    }

    private BatchStatsSnapshot Compute()
    {
        double errorRate = (double)_totalErrors / Math.Max(1, _totalProcessed);
        int n = _processingTimes.Count;
        if (n == 0)
        {
            return new BatchStatsSnapshot
            {
                PeakThroughput = _peakThroughput,
                ErrorRate = errorRate,
                TotalErrors = _totalErrors,
                TotalProcessed = _totalProcessed,
                BatchCount = _batchCount,
                RejectedSamples = _rejected,
            };
        }

        double[] processing = _processingTimes.ToArray();
        double[] latency = _latencies.ToArray();
        Array.Sort(processing);
        Array.Sort(latency);
        double processingSum = processing.Sum();
        long batchSum = _batchSizes.Sum(x => (long)x);
        double throughput = processingSum > 0 ? batchSum / processingSum : 0;
        _peakThroughput = Math.Max(_peakThroughput, throughput);
        return new BatchStatsSnapshot
        {
            AvgProcessingTime = processingSum / n,
            MedianProcessingTime = Percentile(processing, 50),
            P95ProcessingTime = Percentile(processing, 95),
            P99ProcessingTime = Percentile(processing, 99),
            MinProcessingTime = processing[0],
            MaxProcessingTime = processing[^1],
            AvgBatchSize = (double)batchSum / n,
            MinBatchSize = _batchSizes.Min(),
            MaxBatchSize = _batchSizes.Max(),
            AvgQueueTime = _queueTimes.Sum() / n,
            AvgLatency = latency.Sum() / n,
            MedianLatency = Percentile(latency, 50),
            P95Latency = Percentile(latency, 95),
            P99Latency = Percentile(latency, 99),
            AvgQueueLength = (double)_queueLengths.Sum(x => (long)x) / n,
            MaxQueueLength = _queueLengths.Max(),
            Throughput = throughput,
            PeakThroughput = _peakThroughput,
            ErrorRate = errorRate,
            TotalErrors = _totalErrors,
            TotalProcessed = _totalProcessed,
            BatchCount = _batchCount,
            WindowCount = n,
            RejectedSamples = _rejected,
        };
    }

    /// <summary>numpy.percentile's default (linear) method on a sorted array.</summary>
    private static double Percentile(double[] sorted, double p)
    {
        double h = (sorted.Length - 1) * (p / 100.0);
        int i = (int)Math.Floor(h);
        double g = h - i;
        double a = sorted[i], b = sorted[Math.Min(i + 1, sorted.Length - 1)], d = b - a;
        return g < 0.5 ? a + (d * g) : b - (d * (1 - g));
    }
}
