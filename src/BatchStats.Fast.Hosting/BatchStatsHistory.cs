using System;
using System.Text.Json;

namespace BatchStats.Fast.Hosting;

/// <summary>One sampled moment of a tracker, for the dashboard's charts.</summary>
internal readonly record struct HistoryPoint(double Time, double Throughput, double P50, double P95, double P99, double QueueLength, double ErrorRate);

/// <summary>
/// A tracker's recent figures, sampled once a second by the hosted service into a fixed ring (the last ten minutes), so
/// a freshly opened dashboard draws its charts at once. Off the record and read paths: a lock guards the ring.
/// </summary>
internal sealed class BatchStatsHistory
{
    /// <summary>Points kept: ten minutes at one a second.</summary>
    public const int Capacity = 600;

    /// <summary>Seconds the distribution covers: the processing-time histogram now minus the one this long ago.</summary>
    public const int DistributionSeconds = 60;

    private readonly HistoryPoint[] _points = new HistoryPoint[Capacity];
    private readonly ExponentialHistogram?[] _processing = new ExponentialHistogram?[DistributionSeconds + 1];
    private readonly System.Threading.Lock _gate = new();
    private long _count;

    public void Add(DateTimeOffset time, BatchStatsSnapshot s, ExponentialHistogram? processing = null)
    {
        var point = new HistoryPoint(time.ToUnixTimeMilliseconds() / 1000.0, s.Throughput, s.MedianProcessingTime, s.P95ProcessingTime, s.P99ProcessingTime, s.AvgQueueLength, s.ErrorRate);
        lock (_gate)
        {
            _points[_count % Capacity] = point;
            _processing[_count % _processing.Length] = processing;
            _count++;
        }
    }

    /// <summary>
    /// The processing times recorded over the last minute: the all-time histogram now minus the one a minute ago (while
    /// the samples span less than a minute, the whole all-time histogram), as JSON buckets
    /// <c>{ "lower", "upper", "count" }</c> in seconds, non-empty only; the zero bucket first, from 0 to its threshold.
    /// </summary>
    public byte[] DistributionJson()
    {
        ExponentialHistogram? now, then;
        lock (_gate)
        {
            if (_count == 0)
            {
                return "[]"u8.ToArray();
            }

            now = _processing[(_count - 1) % _processing.Length];
            then = _count - 1 < DistributionSeconds ? null : _processing[(_count - 1 - DistributionSeconds) % _processing.Length]; // under a minute of samples: everything so far, records from before the first sample included
        }

        using var buffer = new System.IO.MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            if (now is not null)
            {
                long zeros = now.ZeroCount - (then?.ZeroCount ?? 0); // values at or below the zero threshold (2^-24 s), zero durations included
                if (zeros > 0)
                {
                    json.WriteStartObject();
                    json.WriteNumber("lower", 0);
                    json.WriteNumber("upper", now.ZeroThreshold);
                    json.WriteNumber("count", zeros);
                    json.WriteEndObject();
                }

                ReadOnlySpan<long> counts = now.Counts;
                for (int i = 0; i < counts.Length; i++)
                {
                    long index = now.Offset + i;
                    long before = then is not null && index >= then.Offset && index < then.Offset + then.Counts.Length ? then.Counts[(int)(index - then.Offset)] : 0;
                    if (counts[i] - before > 0)
                    {
                        json.WriteStartObject();
                        json.WriteNumber("lower", now.UpperBound(index - 1));
                        json.WriteNumber("upper", now.UpperBound(index));
                        json.WriteNumber("count", counts[i] - before);
                        json.WriteEndObject();
                    }
                }
            }

            json.WriteEndArray();
        }

        return buffer.ToArray();
    }

    /// <summary>The points, oldest first, as a JSON array of objects (<c>t</c> in Unix seconds; times in seconds).</summary>
    public byte[] ToJson()
    {
        HistoryPoint[] points;
        lock (_gate)
        {
            int n = (int)Math.Min(_count, Capacity);
            points = new HistoryPoint[n];
            for (int i = 0; i < n; i++)
            {
                points[i] = _points[(_count - n + i) % Capacity];
            }
        }

        using var buffer = new System.IO.MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartArray();
            foreach (HistoryPoint p in points)
            {
                json.WriteStartObject();
                json.WriteNumber("t", p.Time);
                json.WriteNumber("throughput", p.Throughput);
                json.WriteNumber("p50", p.P50);
                json.WriteNumber("p95", p.P95);
                json.WriteNumber("p99", p.P99);
                json.WriteNumber("queue_length", p.QueueLength);
                json.WriteNumber("error_rate", p.ErrorRate);
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        return buffer.ToArray();
    }
}
