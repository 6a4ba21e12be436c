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

    private readonly HistoryPoint[] _points = new HistoryPoint[Capacity];
    private readonly System.Threading.Lock _gate = new();
    private long _count;

    public void Add(DateTimeOffset time, BatchStatsSnapshot s)
    {
        var point = new HistoryPoint(time.ToUnixTimeMilliseconds() / 1000.0, s.Throughput, s.MedianProcessingTime, s.P95ProcessingTime, s.P99ProcessingTime, s.AvgQueueLength, s.ErrorRate);
        lock (_gate)
        {
            _points[_count % Capacity] = point;
            _count++;
        }
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
