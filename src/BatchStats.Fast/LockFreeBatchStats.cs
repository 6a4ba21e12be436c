using System;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading;
using BatchStats.Fast.Internal;

namespace BatchStats.Fast;

/// <summary>
/// Lock-free rolling statistics of batch processing: many threads record, any thread reads, nobody waits.
/// </summary>
/// <remarks>
/// <para><b>Recording</b> (<see cref="Update(double, int, double, double, int)"/>, <see cref="Update(in BatchSample)"/>,
/// <see cref="UpdateMany"/>, <see cref="RecordError(int)"/>) writes only to a ring buffer owned by the calling thread:
/// no lock, no interlocked operation on shared state, no allocation after the thread's first record. The first
/// record of a thread registers its ring under a lock (once per thread and tracker). The ring of a thread that has
/// exited keeps its samples until all of them have left the window, and is then handed to the next new thread
/// (its all-time counters carry on), so thread churn cannot grow memory without bound: each ring takes
/// (twice the window size, at least window + 64, rounded up to a power of two) × 40 bytes, and there are at most
/// (live writer threads) plus (dead threads with a sample still in the window) rings.</para>
/// <para><b>Reading</b> (<see cref="GetStats"/>) copies each ring seqlock-style and never blocks or slows a writer;
/// a copy the writer may have overwritten meanwhile is retried, so a read returns the same window a quiescent
/// reader would (and never part of an <see cref="UpdateMany"/>). The tracker keeps the window the
/// last recompute formed (a reader-side copy, about 40 bytes per sample, plus short sorted bands around each
/// percentile's ranks); when fewer than about WindowSize / 4 samples arrived since, the next recompute copies only
/// those, drops the samples that left the window and updates the figures from the kept copy, with the same results
/// bit for bit as a merge from scratch. Concurrent readers do not wait for each other: the one that finds the kept
/// window taken merges from scratch.</para>
/// <para><b>Window and time.</b> The window is the <see cref="BatchStatsOptions.WindowSize"/> samples with the
/// greatest timestamps across all threads (ties: ring registration order, then record order). With one writer this
/// is exactly the last WindowSize updates. Each ring contributes its own last WindowSize records, so if one thread
/// supplies timestamps that go backwards, its contribution is still its last WindowSize records.
/// Caller-supplied timestamps (<see cref="BatchSample.Timestamp"/>) are used as given and the clock is not read.
/// Self-stamped samples (the other overloads, or Timestamp 0) read the precise clock
/// (<see cref="Stopwatch.GetTimestamp"/>, about 25 ns) at most once per millisecond per thread: a background clock
/// thread (started on first use, stopped after two idle seconds) publishes a tick about every millisecond, and a
/// writer re-reads the precise clock only when that tick changed; in between, each sample is stamped one
/// Stopwatch tick after the thread's previous one. Stamps of one thread therefore strictly increase and stay in the
/// <see cref="Stopwatch"/> timebase (so they order consistently with caller-supplied stamps), and across threads
/// they are ordered correctly to within one clock tick (about 1 ms; longer only while the clock thread is starved
/// of CPU).</para>
/// <para>Every member is thread-safe.</para>
/// </remarks>
public sealed class LockFreeBatchStats : IBatchStats
{
    [ThreadStatic]
    private static WriterRing? t_lastRing;

    [ThreadStatic]
    private static WriterRing?[]? t_recentRings;

    private const int RecentRingCacheSize = 4;

    /// <summary>The parameter name bad-input exceptions give for <c>Update(in BatchSample)</c> (tracker and writer handle).</summary>
    private const string SampleParameterName = "sample";

    private readonly int _windowSize;
    private readonly int _ringCapacity;
    private readonly long _cacheValidTicks;
    private readonly long _maxAgeTicks; // long.MaxValue: no age limit
    private readonly bool _dropInvalid;
    private readonly TimeProvider? _customClock; // null: the system clock (Stopwatch), read directly
    private readonly double _ticksPerSecond; // of the clock above
    private readonly ReaderPools _pools;
    private readonly ExponentialLayout _layout;
    private readonly Lock _registryLock = new();
    private WriterRing[] _rings = [];
    private IncrementalWindow? _incremental; // null while a reader holds it
    private readonly SnapshotCache _cache = new();
    private long _windowCutoff = long.MinValue; // only grows (compare-exchange); see RaiseCutoff
    private int _registrarCutoffs;

    /// <summary>Creates a tracker.</summary>
    /// <param name="windowSize">Samples in the rolling window; at least 1.</param>
    /// <param name="cacheValidTime">Seconds a snapshot may be served from cache; 0 = always current. Finite, non-negative.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public LockFreeBatchStats(int windowSize = 1000, double cacheValidTime = 1.0)
        : this(CreateOptions(windowSize, cacheValidTime))
    {
    }

    /// <summary>Creates a tracker from options.</summary>
    /// <param name="options">The settings.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or its time provider is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public LockFreeBatchStats(BatchStatsOptions options)
        : this(options, ReaderPools.Shared)
    {
    }

    internal LockFreeBatchStats(BatchStatsOptions options, ReaderPools pools)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.TimeProvider, "options.TimeProvider");
        if (options.WindowSize < 1 || options.WindowSize > MaxWindowSize)
        {
            ThrowHelper.ArgumentOutOfRange("options.WindowSize", options.WindowSize, $"The window size must be between 1 and {MaxWindowSize}.");
        }

        if (options.CacheValidTime < TimeSpan.Zero)
        {
            ThrowHelper.ArgumentOutOfRange("options.CacheValidTime", options.CacheValidTime, "The cache valid time must not be negative.");
        }

        if (options.HistogramScale is < ExponentialLayout.MinScale or > ExponentialLayout.MaxScale)
        {
            ThrowHelper.ArgumentOutOfRange("options.HistogramScale", options.HistogramScale, $"The histogram scale must be between {ExponentialLayout.MinScale} and {ExponentialLayout.MaxScale}.");
        }

        if (options.MaxSampleAge is { } age && age <= TimeSpan.Zero)
        {
            ThrowHelper.ArgumentOutOfRange("options.MaxSampleAge", age, "The maximum sample age must be positive (or null for none).");
        }

        Options = options;
        _windowSize = options.WindowSize;
        // Slack beyond the window lets a reader copy the newest WindowSize samples while the writer keeps going.
        // Slack of at least the window: a reader's copy of the window is lapped only if the writer records a whole window meanwhile.
        _ringCapacity = (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(2 * _windowSize, _windowSize + 64));
        _customClock = ReferenceEquals(options.TimeProvider, TimeProvider.System) ? null : options.TimeProvider;
        _ticksPerSecond = _customClock?.TimestampFrequency ?? Stopwatch.Frequency;
        _cacheValidTicks = ToTicks(options.CacheValidTime, _ticksPerSecond);
        _maxAgeTicks = options.MaxSampleAge is { } maxAge ? ToTicks(maxAge, _ticksPerSecond) : long.MaxValue;
        _dropInvalid = options.InvalidSamplePolicy == InvalidSamplePolicy.Drop;
        _pools = pools;
        _layout = ExponentialLayout.ForScale(options.HistogramScale);
        _incremental = new IncrementalWindow(_windowSize);
    }

    /// <summary>The largest supported window (2^24 samples).</summary>
    public const int MaxWindowSize = 1 << 24;

    /// <summary>The settings this tracker was created with.</summary>
    public BatchStatsOptions Options { get; }

    /// <inheritdoc />
    /// <remarks>Self-stamped; see the type's remarks for how stamps are taken. Lock-free, allocation-free.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Update(double processingTime, int batchSize, double queueTime, double latency = 0, int queueLength = 0) =>
        Record(CurrentRing(), processingTime, batchSize, queueTime, latency, queueLength);

    /// <inheritdoc />
    /// <remarks>With a non-zero <see cref="BatchSample.Timestamp"/> the clock is not read. Lock-free, allocation-free.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Update(in BatchSample sample) =>
        Record(t_lastRing, sample.ProcessingTime, sample.BatchSize, sample.QueueTime, sample.Latency, sample.QueueLength, sample.Timestamp);

    /// <inheritdoc />
    /// <remarks>
    /// The lock-free counterpart of "hold the lock and append many": one publication makes the whole span visible
    /// at once. Samples with Timestamp 0 get consecutive self-stamps from one clock read. Lock-free, allocation-free.
    /// </remarks>
    public void UpdateMany(ReadOnlySpan<BatchSample> samples)
    {
        if (!samples.IsEmpty)
        {
            RecordMany(CurrentRing(), samples);
        }
    }

    /// <summary>
    /// The calling thread's recording handle for this tracker: the fastest way to record from a worker loop (no
    /// thread-local lookup per record). Take it once per worker thread; calling again on the same thread returns the
    /// same handle while it is reachable.
    /// </summary>
    /// <returns>A handle that records into this thread's ring and throws if used from another thread.</returns>
    public BatchStatsWriter CreateWriter()
    {
        WriterRing ring = CurrentRing();
        BatchStatsWriter? writer = ring.Writer;
        if (writer is null)
        {
            writer = new BatchStatsWriter(this, ring);
            ring.SetWriter(writer);
        }

        return writer;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Record(WriterRing ring, double processingTime, int batchSize, double queueTime, double latency, int queueLength)
    {
        if (!SampleValidation.IsValid(processingTime, batchSize, queueTime, latency, queueLength, 0))
        {
            Reject(ring, null, processingTime, batchSize, queueTime, latency, queueLength, 0);
            return;
        }

        ring.Write(processingTime, batchSize, queueTime, latency, queueLength, SelfStamp(ring));
    }

    /// <summary>The record path of <c>Update(in BatchSample)</c>, with the fields passed as values so the caller's struct can stay in registers.</summary>
    /// <remarks>
    /// <paramref name="ring"/> is the calling thread's ring for this tracker if the caller has it at hand (a per-thread
    /// cache, which may hold another tracker's ring, or null).
    /// The whole fast path is inline and makes no call: the ring check, one compare-and-branch per field, the store.
    /// Everything else (the thread's first record here, bad input, -0.0, Timestamp 0 = self-stamp) is one out-of-line
    /// call with nothing live after it, so a caller-stamped loop keeps its values in registers.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void Record(WriterRing? ring, double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp)
    {
        if (ring is not null && ReferenceEquals(ring.Owner, this))
        {
            if (ring.TryWriteCallerStamped(processingTime, batchSize, queueTime, latency, queueLength, timestamp))
            {
                return;
            }
        }
        else
        {
            ring = null; // none cached, or another tracker's: the slow path looks up this thread's ring
        }

        RecordSlow(ring, processingTime, batchSize, queueTime, latency, queueLength, timestamp);
    }

    /// <summary>Everything the inline fast paths leave out; <paramref name="ring"/> is the calling thread's ring, or null to look it up.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    internal void RecordSlow(WriterRing? ring, double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp)
    {
        ring ??= CurrentRing();
        if (!SampleValidation.IsValid(processingTime, batchSize, queueTime, latency, queueLength, timestamp))
        {
            Reject(ring, SampleParameterName, processingTime, batchSize, queueTime, latency, queueLength, timestamp);
            return;
        }

        ring.Write(processingTime, batchSize, queueTime, latency, queueLength, timestamp != 0 ? timestamp : SelfStamp(ring));
    }

    internal void RecordMany(WriterRing ring, ReadOnlySpan<BatchSample> samples)
    {
        int invalid = 0;
        bool needsStamp = false;
        for (int i = 0; i < samples.Length; i++)
        {
            ref readonly BatchSample s = ref samples[i];
            needsStamp |= s.Timestamp == 0;
            if (!SampleValidation.IsValid(s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength, s.Timestamp))
            {
                if (!_dropInvalid)
                {
                    ThrowInvalid($"{nameof(samples)}[{i}].", s.ProcessingTime, s.BatchSize, s.QueueTime, s.Latency, s.QueueLength, s.Timestamp, nameof(samples));
                }

                invalid++;
            }
        }

        int count = samples.Length - invalid;
        if (count > 0)
        {
            ring.WriteMany(samples, skipInvalid: invalid > 0, count, needsStamp ? SelfStampSlow(ring) : 0);
        }

        if (invalid > 0)
        {
            ring.AddRejected(invalid);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Lock-free, allocation-free: adds to the calling thread's own counter and places the errors in time (stamped like
    /// a self-stamped sample) so <see cref="GetComprehensiveStats"/> can split them between the window's halves.
    /// </remarks>
    public void RecordError(int count = 1) => RecordError(count, 0);

    /// <summary>Adds <paramref name="count"/> errors that happened at <paramref name="timestamp"/> (Stopwatch ticks).</summary>
    /// <param name="count">Number of errors; at least 1.</param>
    /// <param name="timestamp">When they happened, in the clock of caller-supplied sample timestamps; 0 = now.</param>
    /// <exception cref="ArgumentOutOfRangeException">
    /// <paramref name="count"/> is below 1 or <paramref name="timestamp"/> is negative, and the policy is <see cref="InvalidSamplePolicy.Throw"/>.
    /// </exception>
    public void RecordError(int count, long timestamp) => RecordError(CurrentRing(), count, timestamp);

    internal void RecordError(WriterRing ring, int count, long timestamp)
    {
        if (timestamp < 0)
        {
            if (!_dropInvalid)
            {
                ThrowHelper.ArgumentOutOfRange(nameof(timestamp), timestamp, "Timestamp must be Stopwatch ticks (positive), or 0 for now.");
            }

            ring.AddRejected(1);
            return;
        }

        if (count < 1)
        {
            if (!_dropInvalid)
            {
                ThrowHelper.ArgumentOutOfRange(nameof(count), count, "The error count must be at least 1.");
            }

            ring.AddRejected(1);
            return;
        }

        ring.AddErrors(count, timestamp != 0 ? timestamp : SelfStamp(ring));
    }

    /// <summary>
    /// Computes the comprehensive analysis of the window: the snapshot figures plus efficiency, stability,
    /// load distribution, trends, utilization, recommended capacity and bottlenecks (formulas on
    /// <see cref="BatchStatsAnalysis"/>).
    /// </summary>
    /// <returns>A new analysis, always computed from current data (not cached).</returns>
    /// <remarks>Never blocks or slows a writer. Costs about one uncached <see cref="GetStats"/> plus a pass.</remarks>
    public BatchStatsAnalysis GetComprehensiveStats()
    {
        WriterRing[] rings = Volatile.Read(ref _rings); // acquire, as in GetStats
        double peak = _cache.Peak;
        (BatchStatsAnalysis analysis, SnapshotFigures figures) =
            WindowAnalysis.Compute(rings, _windowSize, OldestAllowed(Now()), peak, _pools, _ticksPerSecond);
        _cache.RaisePeak(figures.Throughput);
        return analysis;
    }

    /// <inheritdoc />
    /// <remarks>
    /// Returns the cached snapshot when nothing was recorded since it was taken (and, with
    /// <see cref="BatchStatsOptions.MaxSampleAge"/>, none of its samples has aged out), or when it is younger than
    /// <see cref="BatchStatsOptions.CacheValidTime"/>; otherwise computes a new one: by advancing the window kept from the
    /// previous recompute when few samples arrived since (cost proportional to those samples plus one SIMD pass over
    /// the window), else by merging all rings. Never blocks or slows a writer. Allocates only the new snapshot (scratch
    /// space is pooled, the cache is a set of fields published seqlock-style, and the kept window grows its arrays
    /// only when it grows).
    /// </remarks>
    public BatchStatsSnapshot GetStats()
    {
        WriterRing[] rings = Volatile.Read(ref _rings); // acquire: every ring in the published array is fully constructed
        long version = 0;
        foreach (WriterRing ring in rings)
        {
            version += ring.Version;
        }

        BatchStatsSnapshot? cached = _cache.Current;
        if (cached is not null && cached.Version == version && _maxAgeTicks == long.MaxValue)
        {
            return cached; // nothing recorded since and no age limit: no clock read needed
        }

        long now = Now();
        if (cached is not null)
        {
            bool unchanged = cached.Version == version && cached.OldestTimestamp - now >= -_maxAgeTicks;
            if (unchanged || now - cached.ComputedAt < _cacheValidTicks)
            {
                return cached;
            }
        }

        long oldestAllowed = OldestAllowed(now);
        SnapshotFigures figures = Recompute(rings, oldestAllowed, _cache.Peak);
        _cache.RaisePeak(figures.Throughput);
        RaiseCutoff(figures.Snapshot.WindowCount == _windowSize ? Math.Max(figures.OldestTimestamp, oldestAllowed) : oldestAllowed);
        BatchStatsSnapshot snapshot = figures.Snapshot;
        snapshot.Version = version; // not shared yet: plain stores, published by the cache's compare-exchange
        snapshot.ComputedAt = now;
        snapshot.OldestTimestamp = figures.OldestTimestamp;
        return _cache.Publish(snapshot);
    }

    /// <summary>
    /// Makes the next <see cref="GetStats"/> compute a new snapshot instead of serving the cached one (the Python
    /// module's recipes cleared its cache by hand). All-time counters still never appear to fall.
    /// </summary>
    public void InvalidateCache() => _cache.Invalidate();

    /// <summary>
    /// Advances the kept window by what was recorded since the last recompute, or merges from scratch (and keeps that
    /// window) when it cannot; a reader that finds the kept window taken by another reader merges from scratch.
    /// </summary>
    private SnapshotFigures Recompute(WriterRing[] rings, long oldestAllowed, double peak)
    {
        // Full fence (Interlocked): takes the kept window exclusively and sees every write of the reader that put it back.
        IncrementalWindow? state = Interlocked.Exchange(ref _incremental, null); // full fence
        try
        {
            return state is not null && state.TryAdvance(rings, oldestAllowed, peak, _pools, out SnapshotFigures figures)
                ? figures
                : SnapshotReader.Compute(rings, _windowSize, oldestAllowed, peak, _pools, state);
        }
        catch
        {
            state?.Invalidate(); // a half-applied advance must not be advanced again
            throw;
        }
        finally
        {
            if (state is not null)
            {
                // Full fence (Interlocked): every write to the state happens before the next reader's Exchange takes it.
                Interlocked.CompareExchange(ref _incremental, state, null); // full fence
            }
        }
    }

    /// <summary>
    /// The all-time distributions of processing time, queue time and latency: every value recorded since the tracker
    /// was created (not only the window), in exponential buckets at <see cref="BatchStatsOptions.HistogramScale"/>.
    /// </summary>
    /// <returns>An immutable set, mergeable with other trackers' (<see cref="BatchStatsHistograms.Merge"/>).</returns>
    /// <remarks>Never blocks or slows a writer. Each bucket count only grows between calls.</remarks>
    public BatchStatsHistograms GetHistograms()
    {
        WriterRing[] rings = Volatile.Read(ref _rings); // acquire, as in GetStats
        return new BatchStatsHistograms(
            Histogram(rings, RingHistograms.Processing), Histogram(rings, RingHistograms.Queue), Histogram(rings, RingHistograms.Latency));
    }

    private ExponentialHistogram Histogram(WriterRing[] rings, int series)
    {
        var counts = new long[_layout.BucketCount + 1]; // [0]: the zero bucket, then the layout's bucket slots
        double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (WriterRing ring in rings)
        {
            ring.Histograms.AddTo(series, counts, ref sum, ref min, ref max);
        }

        return ExponentialHistogram.Create(_layout.Scale, counts[0], _layout.MinIndex, counts.AsSpan(1), sum, min, max, ExponentialLayout.MinValue);
    }

    /// <summary>
    /// Copies the window's samples into <paramref name="destination"/> in timestamp order, newest last (the newest
    /// ones when the window holds more than fits), e.g. for exporters that feed histograms.
    /// </summary>
    /// <param name="destination">Where the samples go; its length caps how many are copied.</param>
    /// <returns>The number of samples written to the start of <paramref name="destination"/>.</returns>
    /// <remarks>Never blocks or slows a writer; sorts the copied window, so it costs more than a cached <see cref="GetStats"/>.</remarks>
    public int CopyRecentSamples(Span<BatchSample> destination)
    {
        WriterRing[] rings = Volatile.Read(ref _rings); // acquire, as in GetStats
        return SnapshotReader.CopyRecent(rings, _windowSize, OldestAllowed(Now()), _pools, destination);
    }

    /// <summary>The snapshot and the window's samples from one consistent copy of the window (for exporters).</summary>
    /// <returns>The snapshot (not cached) and the samples, oldest first.</returns>
    internal (BatchStatsSnapshot Snapshot, BatchSample[] Samples) GetStatsWithSamples()
    {
        WriterRing[] rings = Volatile.Read(ref _rings); // acquire, as in GetStats
        double peak = _cache.Peak;
        var samples = new BatchSample[_windowSize];
        (SnapshotFigures figures, int count) = SnapshotReader.ComputeWithSamples(rings, _windowSize, OldestAllowed(Now()), peak, _pools, samples);
        _cache.RaisePeak(figures.Throughput);
        return (figures.Snapshot, samples[..count]);
    }

    /// <summary>A snapshot merged from scratch, bypassing the cache and the incremental reader (for tests and benchmarks).</summary>
    internal BatchStatsSnapshot GetStatsFromScratch()
    {
        WriterRing[] rings = Volatile.Read(ref _rings); // acquire, as in GetStats
        double peak = _cache.Peak;
        return SnapshotReader.Compute(rings, _windowSize, OldestAllowed(Now()), peak, _pools).Snapshot;
    }

    /// <summary>Reads the incremental reader served so far; -1 while another reader holds it (for tests and benchmarks).</summary>
    internal long IncrementalAdvances => Volatile.Read(ref _incremental)?.Advances ?? -1; // acquire; racy by nature, tests read it when quiet

    /// <summary>Percentile band rebuilds of the incremental reader; -1 while another reader holds it (for tests and benchmarks).</summary>
    internal long IncrementalBandRebuilds => Volatile.Read(ref _incremental)?.BandRebuilds ?? -1; // acquire; as above

    /// <summary>The calling thread's ring, registering it if needed (for tests and benchmarks that drive a ring directly).</summary>
    internal WriterRing CurrentRingForTests() => CurrentRing();

    /// <summary>Window cutoffs a registering thread computed itself because no reader had published one that freed a ring (for tests).</summary>
    internal int RegistrarCutoffs => Volatile.Read(ref _registrarCutoffs); // acquire

    /// <summary>Number of writer rings (for tests: thread churn must not grow it without bound).</summary>
    internal int RingCount => Volatile.Read(ref _rings).Length; // acquire

    private long OldestAllowed(long now) => _maxAgeTicks == long.MaxValue ? long.MinValue : now - _maxAgeTicks;

    private static BatchStatsOptions CreateOptions(int windowSize, double cacheValidTime)
    {
        if (!SampleValidation.IsValidTime(cacheValidTime))
        {
            ThrowHelper.ArgumentOutOfRange(nameof(cacheValidTime), cacheValidTime, "The cache valid time must be a finite, non-negative number of seconds.");
        }

        if (windowSize < 1 || windowSize > MaxWindowSize)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(windowSize), windowSize, $"The window size must be between 1 and {MaxWindowSize}.");
        }

        return new BatchStatsOptions { WindowSize = windowSize, CacheValidTime = TimeSpan.FromSeconds(cacheValidTime) };
    }

    private static long ToTicks(TimeSpan span, double frequency) =>
        (long)Math.Min(span.TotalSeconds * frequency, long.MaxValue / 4);

    private long Now() => _customClock?.GetTimestamp() ?? Stopwatch.GetTimestamp();

    /// <summary>A self-stamp: the precise clock at most once per clock tick, otherwise one tick after the last stamp.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long SelfStamp(WriterRing ring)
    {
        if (_customClock is null && CoarseClock.Read() == ring.LastCoarseTick)
        {
            return ring.LastStamp + 1; // time has not moved by a clock tick since this thread's last precise read
        }

        return SelfStampSlow(ring);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private long SelfStampSlow(WriterRing ring)
    {
        if (_customClock is not null)
        {
            return Math.Max(ring.LastStamp + 1, _customClock.GetTimestamp());
        }

        long tick = CoarseClock.Read();
        long now = Stopwatch.GetTimestamp();
        ring.SetCoarseTick(tick == CoarseClock.Stopped ? long.MaxValue : tick); // never match Stopped: no ticker, no shortcut
        CoarseClock.NoteDemand(now);
        return Math.Max(ring.LastStamp + 1, now);
    }

    // ---- per-thread ring lookup ----

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private WriterRing CurrentRing()
    {
        WriterRing? ring = t_lastRing;
        return ring is not null && ReferenceEquals(ring.Owner, this) ? ring : CurrentRingSlow();
    }

    /// <summary>
    /// The calling thread's ring when the one-entry cache missed: a few recently used rings of this thread, then this
    /// tracker's registry (a ring whose owner is this thread), then registration.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private WriterRing CurrentRingSlow()
    {
        WriterRing?[] recent = t_recentRings ??= new WriterRing?[RecentRingCacheSize];
        WriterRing? ring = null;
        foreach (WriterRing? r in recent)
        {
            if (r is not null && ReferenceEquals(r.Owner, this))
            {
                ring = r;
                break;
            }
        }

        if (ring is null)
        {
            Thread current = Thread.CurrentThread;
            foreach (WriterRing r in Volatile.Read(ref _rings)) // acquire, as in GetStats
            {
                if (ReferenceEquals(r.OwnerThread, current)) // this thread set it itself, under the lock
                {
                    ring = r;
                    break;
                }
            }

            ring ??= Register(current);
            Array.Copy(recent, 0, recent, 1, recent.Length - 1);
            recent[0] = ring;
        }

        t_lastRing = ring;
        return ring;
    }

    /// <summary>
    /// Gives the calling thread a ring: a dead thread's ring known to be out of the window, else a new one. Under the
    /// lock this is O(rings) reference checks plus, once per exited owner, a scan of what that owner recorded. Reuse
    /// is decided by the window cutoff that readers published; only when that frees no ring while some exited
    /// owner's ring might be free is a fresh cutoff computed, and a new ring allocated, outside the lock.
    /// </summary>
    private WriterRing Register(Thread current)
    {
        bool maybeFree;
        lock (_registryLock) // the one lock: taken once per thread and tracker, never on the steady-state paths
        {
            if (TryReuse(current, Volatile.Read(ref _windowCutoff), out maybeFree) is { } reused) // acquire
            {
                return reused;
            }
        }

        if (maybeFree)
        {
            Interlocked.Increment(ref _registrarCutoffs); // full fence; a statistic for tests and benchmarks
            RaiseCutoff(SnapshotReader.WindowCutoff(Volatile.Read(ref _rings), _windowSize, OldestAllowed(Now()), _pools)); // acquire, as in GetStats
            lock (_registryLock)
            {
                if (TryReuse(current, Volatile.Read(ref _windowCutoff), out _) is { } reused) // acquire
                {
                    return reused;
                }
            }
        }

        var ring = new WriterRing(this, _ringCapacity, current, _layout);
        lock (_registryLock)
        {
            WriterRing[] rings = _rings;
            var grown = new WriterRing[rings.Length + 1];
            rings.CopyTo(grown, 0);
            grown[^1] = ring;
            Volatile.Write(ref _rings, grown); // release: the new ring is fully constructed before readers can see it
        }

        return ring;
    }

    /// <summary>
    /// Hands the calling thread a ring whose thread has exited, whose handle (if any) was collected, and none of whose
    /// samples can be in the window any more (all older than <paramref name="cutoff"/>); null if there is none.
    /// </summary>
    /// <param name="current">The registering thread.</param>
    /// <param name="cutoff">Timestamps below this can no longer be in the window.</param>
    /// <param name="maybeFree">True when some exited owner's ring was not shown free only because of the cutoff.</param>
    private WriterRing? TryReuse(Thread current, long cutoff, out bool maybeFree)
    {
        maybeFree = false;
        foreach (WriterRing r in _rings)
        {
            if (r.OwnerThread.IsAlive || r.Writer is not null)
            {
                continue; // its thread may still record, or a reachable writer handle keeps it
            }

            if (r.NewestStampSinceAdoption() is { } newest && newest >= cutoff)
            {
                maybeFree = true;
                continue;
            }

            r.Adopt(current); // its samples are all out of the window; its counters carry on
            return r;
        }

        return null;
    }

    /// <summary>
    /// Raises the published window cutoff: timestamps below it can no longer be in the window (the W-th newest
    /// timestamp never falls as samples are added, nor does the age limit), so exited threads' rings holding only
    /// such samples can be reused.
    /// </summary>
    private void RaiseCutoff(long cutoff)
    {
        long current = Volatile.Read(ref _windowCutoff); // acquire
        while (cutoff > current)
        {
            long seen = Interlocked.CompareExchange(ref _windowCutoff, cutoff, current); // full fence: racing readers agree on one maximum
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }

    // ---- bad input ----

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void Reject(WriterRing ring, string? sampleName, double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp)
    {
        if (!_dropInvalid)
        {
            string prefix = sampleName is null ? string.Empty : sampleName + ".";
            ThrowInvalid(prefix, processingTime, batchSize, queueTime, latency, queueLength, timestamp, sampleName);
        }

        ring.AddRejected(1);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void ThrowInvalid(string prefix, double processingTime, int batchSize, double queueTime, double latency, int queueLength, long timestamp, string? paramName)
    {
        var (field, value, message) = SampleValidation.Describe(processingTime, batchSize, queueTime, latency, queueLength, timestamp)
            ?? throw new UnreachableException("validation failed but no field is invalid");
        // Update(double, ...) names its own parameter; Update(in sample)/UpdateMany name theirs and the field in the message.
        string name = paramName ?? field;
        string fieldName = char.ToUpperInvariant(field[0]) + field[1..];
        ThrowHelper.ArgumentOutOfRange(name, value, paramName is null ? message : $"{prefix}{fieldName}: {message}");
    }
}
