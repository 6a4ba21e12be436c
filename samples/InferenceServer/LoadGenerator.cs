using System;
using System.Diagnostics;
using System.Threading;
using System.Threading.Channels;

namespace BatchStats.Fast.Demo;

/// <summary>
/// An open-loop client population: requests arrive as a Poisson process whose rate follows the load profile
/// (<see cref="RateAt"/>), whether or not the server keeps up, so a backlog, its queueing and its latency are
/// consequences of the real inference cost. Runs on its own thread; every millisecond it queues every request whose
/// drawn arrival time has passed, stamped with that time. A share of requests carries a NaN feature (a malformed
/// request the workers reject). Feature vectors come from a fixed pool of standard-normal vectors. Arrivals that find
/// the backlog at <see cref="MaxBacklog"/> are shed and counted (<see cref="Shed"/>): a rate far above what the
/// workers serve fills memory no further.
/// </summary>
public sealed class LoadGenerator
{
    private const int PoolSize = 1024;
    private readonly ChannelWriter<Request> _queue;
    private readonly Func<int> _backlog;
    private readonly double _rate;
    private readonly double _badShare;
    private readonly float[][] _pool;
    private readonly float[] _malformed;
    private long _start;
    private readonly Thread _thread;
    private long _generated;
    private long _shed;
    private volatile bool _stop;

    /// <param name="queue">Where requests go (unbounded: an open-loop client does not wait for the server).</param>
    /// <param name="backlog">How many requests wait in <paramref name="queue"/> (read once a millisecond and every 4,096 arrivals).</param>
    /// <param name="features">Floats per request.</param>
    /// <param name="rate">Steady arrivals per second.</param>
    /// <param name="badShare">Share of requests with a NaN feature.</param>
    public LoadGenerator(ChannelWriter<Request> queue, Func<int> backlog, int features, double rate, double badShare)
    {
        _queue = queue;
        _backlog = backlog;
        _rate = rate;
        MaxBacklog = (int)Math.Clamp(10 * rate, 100_000, 10_000_000);
        _badShare = badShare;
        var rng = new Random(20261129);
        _pool = new float[PoolSize][];
        for (int i = 0; i < PoolSize; i++)
        {
            _pool[i] = new float[features];
            for (int j = 0; j < features; j++)
            {
                _pool[i][j] = (float)StandardNormal(rng);
            }
        }

        _malformed = (float[])_pool[0].Clone();
        _malformed[features / 2] = float.NaN;
        _thread = new Thread(Run) { IsBackground = true, Name = "load generator" };
    }

    /// <summary>Time zero of the load profile (a <see cref="Stopwatch"/> timestamp).</summary>
    public long ProfileStart => _start;

    /// <summary>Requests queued so far (read while running: a lower bound).</summary>
    public long Generated => Volatile.Read(ref _generated); // acquire: pairs with the generator's release store

    /// <summary>Arrivals shed because the backlog was full (read while running: a lower bound).</summary>
    public long Shed => Volatile.Read(ref _shed); // acquire: pairs with the generator's release store

    /// <summary>The backlog at which arrivals are shed: 10 s of the steady rate, at least 100,000, at most 10,000,000 requests.</summary>
    public int MaxBacklog { get; }

    /// <summary>
    /// The load profile: the steady rate with a ±15 % swing over 20 s, and a spike from second 8 to second 12 of
    /// every 30 at 3.5 × the steady rate (with the default steady rate, 40 % of the measured capacity, that is 1.4 ×
    /// capacity: a backlog builds, then drains after it; the margin covers a capacity measured low on a shared VM).
    /// </summary>
    public static double RateAt(double steadyRate, double seconds) =>
        steadyRate * (1 + (0.15 * Math.Sin(2 * Math.PI * seconds / 20))) * (seconds % 30 is >= 8 and < 12 ? 3.5 : 1);

    /// <summary>Starts the generator thread; the load profile's time zero is now.</summary>
    public void Start()
    {
        _start = Stopwatch.GetTimestamp(); // read by the generator thread after Thread.Start (which orders it)
        _thread.Start();
    }

    /// <summary>Stops generating, waits for the thread, and marks the queue complete (workers drain what is left).</summary>
    public void Stop()
    {
        _stop = true;
        if (_thread.IsAlive)
        {
            _thread.Join();
        }

        _queue.TryComplete();
    }

    private void Run()
    {
        var rng = new Random(42);
        double tick = Stopwatch.Frequency;
        double next = _start; // the next arrival, in Stopwatch ticks (double: sub-tick gaps at high rates add up)
        while (!_stop)
        {
            long now = Stopwatch.GetTimestamp();
            long room = MaxBacklog - _backlog(); // queued from here on counts against it; re-read every 4096 arrivals
            for (int arrivals = 1; next <= now && !_stop; arrivals++) // _stop too: a rate the thread cannot keep up with never leaves this loop otherwise
            {
                float[] features = rng.NextDouble() < _badShare ? _malformed : _pool[rng.Next(PoolSize)];
                if (arrivals % 4096 == 0)
                {
                    room = MaxBacklog - _backlog();
                }

                if (room <= 0)
                {
                    Volatile.Write(ref _shed, _shed + 1); // release: single writer; Shed reads it with acquire
                }
                else
                {
                    _queue.TryWrite(new Request((long)next, features)); // unbounded: always accepted
                    Volatile.Write(ref _generated, _generated + 1); // release: single writer; Generated reads it with acquire
                    room--;
                }

                double rate = RateAt(_rate, (next - _start) / tick);
                next += -Math.Log(1 - rng.NextDouble()) / rate * tick; // exponential gap: Poisson arrivals
            }

            Thread.Sleep(1);
        }
    }

    /// <summary>A standard-normal draw (Box–Muller), for feature vectors here and in the benchmarks.</summary>
    public static double StandardNormal(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()); // Box–Muller
}
