using System;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BatchStats.Fast.Baseline;
using BenchmarkDotNet.Attributes;
using HdrHistogram;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace BatchStats.Fast.Benchmarks;

/// <summary>
/// Aggregate cost per record with 1, 2 and 8 writer threads (8 oversubscribes a 2-core machine, where locks
/// convoy). Each invocation records <see cref="TotalRecords"/> samples split evenly across the threads, so Mean is
/// wall time per record for the whole team: when 2 threads scale perfectly, Mean halves. Every variant records
/// the same five series per batch (processing time, batch size, queue time, latency, queue length).
/// </summary>
[MemoryDiagnoser]
public class RecordBenchmarks
{
    public const int TotalRecords = 1 << 20;

    private ThreadTeam _team = null!;
    private LockFreeBatchStats _lockFree = null!;
    private LockedBatchStats _locked = null!;
    private HdrSet _hdr = null!;
    private OtelSet _otel = null!;
    private PrometheusNetSet _prometheusNet = null!;
    private FloorRing[] _floorRings = null!;
    private BatchStatsWriter[] _writers = null!;
    private int _perThread;

    [Params(1, 2, 8)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _team = new ThreadTeam(Threads);
        _lockFree = new LockFreeBatchStats(1000, 1.0);
        _locked = new LockedBatchStats(1000, 1.0);
        _hdr = new HdrSet();
        _otel = new OtelSet();
        _prometheusNet = new PrometheusNetSet();
        _perThread = TotalRecords / Threads;
        _floorRings = new FloorRing[Threads];
        for (int i = 0; i < Threads; i++)
        {
            _floorRings[i] = new FloorRing();
        }

        _team.Run(_ => Loops.CallerStamped(_lockFree, 16)); // register every writer's ring before measuring
        _writers = new BatchStatsWriter[Threads];
        _team.Run(id => _writers[id] = _lockFree.CreateWriter()); // each on the thread that will use it
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _team.Dispose();
        _otel.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = TotalRecords, Description = "floor: store into own ring")]
    public void Floor() => _team.Run(id => Loops.Floor(_floorRings[id], _perThread));

    [Benchmark(OperationsPerInvoke = TotalRecords, Description = "LockFree Update(in sample), caller-stamped")]
    public void CallerStamped() => _team.Run(_ => Loops.CallerStamped(_lockFree, _perThread));

    [Benchmark(OperationsPerInvoke = TotalRecords, Description = "LockFree BatchStatsWriter.Update(in sample), caller-stamped")]
    public void WriterHandle() => _team.Run(id => Loops.WriterHandle(_writers[id], _perThread));

    [Benchmark(OperationsPerInvoke = TotalRecords, Description = "LockFree Update(...), self-stamped")]
    public void SelfStamped() => _team.Run(_ => Loops.SelfStamped(_lockFree, _perThread));

    [Benchmark(OperationsPerInvoke = TotalRecords, Description = "LockFree UpdateMany(16), per sample")]
    public void UpdateMany() => _team.Run(_ => Loops.UpdateMany(_lockFree, _perThread));

    [Benchmark(OperationsPerInvoke = TotalRecords, Description = "Locked baseline Update")]
    public void Locked() => _team.Run(_ => Loops.Locked(_locked, _perThread));

    [Benchmark(OperationsPerInvoke = TotalRecords, Description = "HdrHistogram Recorder x5")]
    public void Hdr() => _team.Run(_ => Loops.Hdr(_hdr, _perThread));

    [Benchmark(OperationsPerInvoke = TotalRecords, Description = "OTel SDK Histogram<double> x5")]
    public void Otel() => _team.Run(_ => Loops.Otel(_otel, _perThread));

    [Benchmark(OperationsPerInvoke = TotalRecords, Description = "prometheus-net Histogram x5")]
    public void PrometheusNet() => _team.Run(_ => Loops.PrometheusNet(_prometheusNet, _perThread));

    /// <summary>Tight, identical loops (static, so the JIT keeps the tracker in a register); also used by <see cref="Paired"/>.</summary>
    internal static class Loops
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static double Time(int i) => 0.001 * (1 + (i & 15));

        public static void Floor(FloorRing ring, int n)
        {
            for (int i = 0; i < n; i++)
            {
                ring.Store(new BatchSample(Time(i), i & 31, 0.0001, 0.002, i & 7, i + 1));
            }
        }

        public static void CallerStamped(LockFreeBatchStats stats, int n)
        {
            for (int i = 0; i < n; i++)
            {
                stats.Update(new BatchSample(Time(i), i & 31, 0.0001, 0.002, i & 7, i + 1));
            }
        }

        public static void WriterHandle(BatchStatsWriter writer, int n)
        {
            for (int i = 0; i < n; i++)
            {
                writer.Update(new BatchSample(Time(i), i & 31, 0.0001, 0.002, i & 7, i + 1));
            }
        }

        public static void SelfStamped(LockFreeBatchStats stats, int n)
        {
            for (int i = 0; i < n; i++)
            {
                stats.Update(Time(i), i & 31, 0.0001, 0.002, i & 7);
            }
        }

        public static void UpdateMany(LockFreeBatchStats stats, int n)
        {
            Span<BatchSample> batch = stackalloc BatchSample[16];
            for (int i = 0; i < n; i += batch.Length)
            {
                for (int j = 0; j < batch.Length; j++)
                {
                    batch[j] = new BatchSample(Time(i + j), (i + j) & 31, 0.0001, 0.002, j & 7, i + j + 1);
                }

                stats.UpdateMany(batch);
            }
        }

        public static void Locked(LockedBatchStats stats, int n)
        {
            for (int i = 0; i < n; i++)
            {
                stats.Update(new BatchSample(Time(i), i & 31, 0.0001, 0.002, i & 7, i + 1));
            }
        }

        public static void Hdr(HdrSet set, int n)
        {
            for (int i = 0; i < n; i++)
            {
                set.Record(Time(i), i & 31, 0.0001, 0.002, i & 7);
            }
        }

        public static void Otel(OtelSet set, int n)
        {
            for (int i = 0; i < n; i++)
            {
                set.Record(Time(i), i & 31, 0.0001, 0.002, i & 7);
            }
        }

        public static void PrometheusNet(PrometheusNetSet set, int n)
        {
            for (int i = 0; i < n; i++)
            {
                set.Record(Time(i), i & 31, 0.0001, 0.002, i & 7);
            }
        }
    }

    /// <summary>The physical floor: a thread storing a sample into a ring it already holds (padded, no sharing).</summary>
    internal sealed class FloorRing
    {
        private readonly BatchSample[] _slots = new BatchSample[2048];
        private Padded _head;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Store(in BatchSample sample)
        {
            _slots[(int)(_head.Value & (_slots.Length - 1))] = sample;
            _head.Value++;
        }

        [StructLayout(LayoutKind.Explicit, Size = 128)]
        private struct Padded
        {
            [FieldOffset(64)] public long Value;
        }
    }

    /// <summary>HdrHistogram.NET thread-safe recorders, one per series; times in microseconds.</summary>
    internal sealed class HdrSet
    {
        private readonly Recorder _processing = Create(), _batch = Create(), _queue = Create(), _latency = Create(), _queueLength = Create();

        private static Recorder Create() =>
            HistogramFactory.With64BitBucketSize().WithValuesFrom(1).WithValuesUpTo(3_600_000_000).WithPrecisionOf(3)
                .WithThreadSafeWrites().WithThreadSafeReads().Create();

        public void Record(double processing, int batch, double queue, double latency, int queueLength)
        {
            _processing.RecordValue(1 + (long)(processing * 1e6));
            _batch.RecordValue(1 + batch);
            _queue.RecordValue(1 + (long)(queue * 1e6));
            _latency.RecordValue(1 + (long)(latency * 1e6));
            _queueLength.RecordValue(1 + queueLength);
        }
    }

    /// <summary>System.Diagnostics.Metrics histograms collected by the OpenTelemetry SDK (in-memory exporter).</summary>
    internal sealed class OtelSet : IDisposable
    {
        private readonly Meter _meter = new("BatchStats.Fast.Benchmarks.Otel");
        private readonly MeterProvider _provider;
        private readonly Histogram<double> _processing, _queue, _latency;
        private readonly Histogram<long> _batch, _queueLength;

        public OtelSet()
        {
            _provider = Sdk.CreateMeterProviderBuilder().AddMeter(_meter.Name).AddInMemoryExporter(new System.Collections.Generic.List<Metric>()).Build();
            _processing = _meter.CreateHistogram<double>("batch.processing_time", "s");
            _queue = _meter.CreateHistogram<double>("batch.queue_time", "s");
            _latency = _meter.CreateHistogram<double>("batch.latency", "s");
            _batch = _meter.CreateHistogram<long>("batch.size");
            _queueLength = _meter.CreateHistogram<long>("batch.queue_length");
        }

        public void Record(double processing, int batch, double queue, double latency, int queueLength)
        {
            _processing.Record(processing);
            _batch.Record(batch);
            _queue.Record(queue);
            _latency.Record(latency);
            _queueLength.Record(queueLength);
        }

        public void Dispose()
        {
            _provider.Dispose();
            _meter.Dispose();
        }
    }

    /// <summary>
    /// prometheus-net histograms (the most used .NET Prometheus client), one per series, in a registry of their own:
    /// times in 16 doubling buckets from 100 µs, counts in 16 buckets of 4.
    /// </summary>
    internal sealed class PrometheusNetSet
    {
        private readonly Prometheus.Histogram _processing, _batch, _queue, _latency, _queueLength;

        public PrometheusNetSet()
        {
            Prometheus.MetricFactory factory = Prometheus.Metrics.WithCustomRegistry(Prometheus.Metrics.NewCustomRegistry());
            var times = new Prometheus.HistogramConfiguration { Buckets = Prometheus.Histogram.ExponentialBuckets(0.0001, 2, 16) };
            var counts = new Prometheus.HistogramConfiguration { Buckets = Prometheus.Histogram.LinearBuckets(1, 4, 16) };
            _processing = factory.CreateHistogram("batch_processing_seconds", "processing time", times);
            _batch = factory.CreateHistogram("batch_size", "batch size", counts);
            _queue = factory.CreateHistogram("batch_queue_seconds", "queue time", times);
            _latency = factory.CreateHistogram("batch_latency_seconds", "latency", times);
            _queueLength = factory.CreateHistogram("batch_queue_length", "queue length", counts);
        }

        public void Record(double processing, int batch, double queue, double latency, int queueLength)
        {
            _processing.Observe(processing);
            _batch.Observe(batch);
            _queue.Observe(queue);
            _latency.Observe(latency);
            _queueLength.Observe(queueLength);
        }
    }
}
