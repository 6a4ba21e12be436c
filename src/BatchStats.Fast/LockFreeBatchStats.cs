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
/// (<see cref="Stopwatch.GetTimestamp"/>) at most once per millisecond per thread: a background clock
/// thread (started on first use, stopped after two idle seconds) publishes a tick about every millisecond, and a
/// writer re-reads the precise clock only when that tick changed; in between, each sample is stamped one
/// Stopwatch tick after the thread's previous one. Stamps of one thread therefore strictly increase and stay in the
/// <see cref="Stopwatch"/> timebase (so they order consistently with caller-supplied stamps), and across threads
/// they are ordered correctly to within one clock tick (about 1 ms; longer only while the clock thread is starved
/// of CPU).</para>
/// <para>Every member is thread-safe.</para>
/// </remarks>
public sealed partial class LockFreeBatchStats : IBatchStatsWithHistograms
{
    /// <summary>The parameter name bad-input exceptions give for <c>Update(in BatchSample)</c> (tracker and writer handle).</summary>
    private const string SampleParameterName = "sample";

    private readonly int _windowSize;
    private readonly long _cacheValidTicks;
    private readonly long _maxAgeTicks; // long.MaxValue: no age limit
    private readonly bool _dropInvalid;
    private readonly TrackerClock _clock;
    private readonly ReaderPools _pools;
    private readonly ExponentialLayout _layout;
    private readonly RingRegistry _registry;
    private readonly SnapshotCache _cache = new();
    private IncrementalWindow? _incremental; // null while a reader holds it

    /// <summary>Creates a tracker.</summary>
    /// <param name="windowSize">Samples in the rolling window; at least 1.</param>
    /// <param name="cacheValidTime">Seconds a snapshot may be served from cache; 0 = always current. Finite, non-negative, at most <see cref="TimeSpan.MaxValue"/> in seconds.</param>
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
        CheckWindowSize(options.WindowSize, "options.WindowSize");

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

        Options = new BatchStatsOptions // a copy: the caller's options object may change later
        {
            WindowSize = options.WindowSize,
            CacheValidTime = options.CacheValidTime,
            MaxSampleAge = options.MaxSampleAge,
            HistogramScale = options.HistogramScale,
            InvalidSamplePolicy = options.InvalidSamplePolicy,
            TimeProvider = options.TimeProvider,
        };
        _windowSize = options.WindowSize;
        _clock = new TrackerClock(options.TimeProvider);
        _cacheValidTicks = _clock.ToTicks(options.CacheValidTime);
        _maxAgeTicks = options.MaxSampleAge is { } maxAge ? _clock.ToTicks(maxAge) : long.MaxValue;
        _dropInvalid = options.InvalidSamplePolicy == InvalidSamplePolicy.Drop;
        _pools = pools;
        _layout = ExponentialLayout.ForScale(options.HistogramScale);
        _registry = new RingRegistry(this, _windowSize, _layout, pools, () => OldestAllowed(Now()));
        _incremental = new IncrementalWindow(_windowSize);
    }

    /// <summary>The largest supported window (2^24 samples).</summary>
    public const int MaxWindowSize = 1 << 24;

    /// <summary>A copy of the settings this tracker was created with (changing it changes nothing).</summary>
    public BatchStatsOptions Options { get; }

    /// <summary>
    /// Computes the comprehensive analysis of the window: the snapshot figures plus efficiency, stability,
    /// load distribution, trends, utilization, recommended capacity and bottlenecks (formulas on
    /// <see cref="BatchStatsAnalysis"/>).
    /// </summary>
    /// <returns>A new analysis, always computed from current data (not cached).</returns>
    /// <remarks>Never blocks or slows a writer. Costs about one uncached <see cref="GetStats"/> plus a pass.</remarks>
    public BatchStatsAnalysis GetComprehensiveStats()
    {
        (BatchStatsAnalysis analysis, SnapshotFigures figures) = WindowAnalysis.Compute(Context(), _clock.TicksPerSecond);
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
        WriterRing[] rings = _registry.Rings;
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
        SnapshotFigures figures = Recompute(Context(rings, oldestAllowed));
        _cache.RaisePeak(figures.Throughput);
        _registry.RaiseCutoff(figures.Snapshot.WindowCount == _windowSize ? Math.Max(figures.OldestTimestamp, oldestAllowed) : oldestAllowed);
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
    private SnapshotFigures Recompute(in ReadContext context)
    {
        // Full fence (Interlocked): takes the kept window exclusively and sees every write of the reader that put it back.
        IncrementalWindow? state = Interlocked.Exchange(ref _incremental, null); // full fence: see the line above
        try
        {
            return state is not null && state.TryAdvance(context, out SnapshotFigures figures)
                ? figures
                : SnapshotReader.Compute(context, state);
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
                Interlocked.CompareExchange(ref _incremental, state, null); // full fence: see the line above
            }
        }
    }

    /// <summary>
    /// The all-time distributions of processing time, queue time and latency: every value recorded since the tracker
    /// was created (not only the window), in exponential buckets at <see cref="BatchStatsOptions.HistogramScale"/>.
    /// </summary>
    /// <returns>An immutable set, mergeable with other trackers' (<see cref="BatchStatsHistograms.Merge"/>).</returns>
    /// <remarks>Never blocks or slows a writer. Each bucket count only grows between calls.</remarks>
    public BatchStatsHistograms GetHistograms() => RingHistograms.Sum(_registry.Rings, _layout);

    /// <summary>
    /// Copies the window's samples into <paramref name="destination"/> in timestamp order, newest last (the newest
    /// ones when the window holds more than fits), e.g. for exporters that feed histograms.
    /// </summary>
    /// <param name="destination">Where the samples go; its length caps how many are copied.</param>
    /// <returns>The number of samples written to the start of <paramref name="destination"/>.</returns>
    /// <remarks>Never blocks or slows a writer; sorts the copied window, so it costs more than a cached <see cref="GetStats"/>.</remarks>
    public int CopyRecentSamples(Span<BatchSample> destination)
    {
        return SnapshotReader.CopyRecent(Context(), destination);
    }

    /// <summary>A snapshot merged from scratch, bypassing the cache and the incremental reader (for tests and benchmarks).</summary>
    internal BatchStatsSnapshot GetStatsFromScratch()
    {
        SnapshotFigures figures = SnapshotReader.Compute(Context());
        _cache.RaisePeak(figures.Throughput);
        return figures.Snapshot;
    }

    /// <summary>What a read starts from: <paramref name="rings"/> (read once by the caller), the window, the age limit and the peak so far.</summary>
    private ReadContext Context(WriterRing[] rings, long oldestAllowed) => new(rings, _windowSize, oldestAllowed, _cache.Peak, _pools);

    /// <summary>What a read that needs no change detector starts from: the rings and the age limit as of now.</summary>
    private ReadContext Context() => Context(_registry.Rings, OldestAllowed(Now()));

    /// <summary>The all-time sum of one series (<see cref="RingHistograms.Processing"/>, <c>Queue</c> or <c>Latency</c>), without building the histograms (for the instruments).</summary>
    internal double AllTimeSum(int series) => RingHistograms.SumOf(_registry.Rings, series);

    /// <summary>Reads the incremental reader served so far; -1 while another reader holds it (for tests and benchmarks).</summary>
    internal long IncrementalAdvances => Volatile.Read(ref _incremental)?.Advances ?? -1; // acquire; racy by nature, tests read it when quiet

    /// <summary>Percentile band rebuilds of the incremental reader; -1 while another reader holds it (for tests and benchmarks).</summary>
    internal long IncrementalBandRebuilds => Volatile.Read(ref _incremental)?.BandRebuilds ?? -1; // acquire; as above

    /// <summary>The incremental reader's kept window, for tests that set its hook; null while a reader holds it.</summary>
    internal IncrementalWindow? IncrementalWindowForTests => Volatile.Read(ref _incremental); // acquire; as above

    /// <summary>The calling thread's ring, registering it if needed (for tests and benchmarks that drive a ring directly).</summary>
    internal WriterRing CurrentRingForTests() => CurrentRing();

    /// <summary>Window cutoffs a registering thread computed itself because no reader had published one that freed a ring (for tests).</summary>
    internal int RegistrarCutoffs => _registry.RegistrarCutoffs;

    /// <summary>Number of writer rings (for tests: thread churn must not grow it without bound).</summary>
    internal int RingCount => _registry.Rings.Length;

    private long OldestAllowed(long now) => _maxAgeTicks == long.MaxValue ? long.MinValue : now - _maxAgeTicks;

    private static BatchStatsOptions CreateOptions(int windowSize, double cacheValidTime)
    {
        if (!SampleValidation.IsValidTime(cacheValidTime) || cacheValidTime > TimeSpan.MaxValue.TotalSeconds)
        {
            ThrowHelper.ArgumentOutOfRange(nameof(cacheValidTime), cacheValidTime, "The cache valid time must be a finite, non-negative number of seconds, at most TimeSpan.MaxValue's.");
        }

        CheckWindowSize(windowSize, nameof(windowSize));
        return new BatchStatsOptions { WindowSize = windowSize, CacheValidTime = TimeSpan.FromSeconds(cacheValidTime) };
    }

    private static void CheckWindowSize(int windowSize, string paramName)
    {
        if (windowSize < 1 || windowSize > MaxWindowSize)
        {
            ThrowHelper.ArgumentOutOfRange(paramName, windowSize, $"The window size must be between 1 and {MaxWindowSize}.");
        }
    }

    private long Now() => _clock.Now();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private WriterRing CurrentRing() => _registry.Current();
}
